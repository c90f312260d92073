#!/usr/bin/python3
"""An SMTP server that accepts every message and keeps it: each one becomes
DIR/NNNN.json with the envelope (the HELO/EHLO name and which of the two, MAIL FROM,
RCPT TO) and the message exactly as received. Writes DIR/ready once listening.
Usage: sink.py DIR HOST PORT (runs until killed). Needs python3-aiosmtpd."""

import asyncio
import itertools
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Keep:
    def __init__(self, directory):
        self.directory = directory
        self.count = itertools.count()

    async def handle_DATA(self, server, session, envelope):
        record = {
            "helo": session.host_name,
            "extended": session.extended_smtp,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.original_content.decode("utf-8", "replace"),
        }
        name = os.path.join(self.directory, "%04d.json" % next(self.count))
        with open(name + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(name + ".tmp", name)
        return "250 OK"


async def main(directory, host, port):
    loop = asyncio.get_running_loop()
    keep = Keep(directory)  # one for all connections: one numbering
    server = await loop.create_server(lambda: SMTP(keep), host, int(port))
    open(os.path.join(directory, "ready"), "w").close()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
