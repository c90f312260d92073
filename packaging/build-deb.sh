#!/bin/sh
# Builds the Debian package keepalived-rs_VERSION-1_ARCH.deb with dpkg-deb alone (no
# debhelper, no cargo-deb). It installs where Debian's keepalived package installs its
# own files and Provides/Conflicts/Replaces keepalived, so it swaps in for it.
#
# Usage: packaging/build-deb.sh [OUTDIR]            (default OUTDIR: target/debian)
# Environment:
#   KRS_DEB_BINARY  the keepalived binary to package (default: target/release/keepalived,
#                   built with `cargo build --release` when missing)
#   DEBFULLNAME, DEBEMAIL  maintainer (the usual Debian variables)
#   SOURCE_DATE_EPOCH      changelog date and file times (default: last commit)
# Prints the path of the .deb on its last line.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/target/debian}
here=$top/packaging/debian

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$top/Cargo.toml" | head -n 1)
debversion="$version-1"
arch=$(dpkg --print-architecture)
maintainer="${DEBFULLNAME:-keepalived-rs developers} <${DEBEMAIL:-keepalived-rs@example.org}>"
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

binary=${KRS_DEB_BINARY:-$top/target/release/keepalived}
if [ ! -x "$binary" ]; then
	(cd "$top" && cargo build --release --bin keepalived)
fi

stage=$out/stage/keepalived-rs
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"

# put MODE SOURCE DEST: installs one file (directories made 0755).
put() {
	install -D -m "$1" "$2" "$stage$3"
}

# Files, at the stock package's paths.
put 0755 "$binary" /usr/sbin/keepalived
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
	"$stage/usr/sbin/keepalived"
put 0644 "$top/init/keepalived.service" /lib/systemd/system/keepalived.service
put 0755 "$top/init/keepalived.init" /etc/init.d/keepalived
put 0644 "$here/default" /etc/default/keepalived
# The sample is the conffile (as in the stock package); postinst copies it to
# keepalived.conf only when there is none, so an operator's file is never touched.
put 0644 "$here/keepalived.conf" /etc/keepalived/keepalived.conf.sample
for page in keepalived.8:man8 keepalived.conf.5:man5; do
	name=${page%%:*}
	section=${page#*:}
	put 0644 "$top/man/$name" "/usr/share/man/$section/$name"
	gzip -9n "$stage/usr/share/man/$section/$name"
done
doc=/usr/share/doc/keepalived-rs
put 0644 "$here/copyright" "$doc/copyright"
# Not a Debian upload: there is no ITP bug to close.
put 0644 "$here/lintian-overrides" /usr/share/lintian/overrides/keepalived-rs
for sample in "$top"/samples/*.conf; do
	put 0644 "$sample" "$doc/samples/${sample##*/}"
done
mkdir -p "$stage$doc"
cat >"$stage$doc/changelog.Debian" <<EOF
keepalived-rs ($debversion) unstable; urgency=medium

  * Package keepalived-rs $version, a drop-in replacement for keepalived's
    VRRP daemon.

 -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
EOF
gzip -9n "$stage$doc/changelog.Debian"

# Control area.
for script in postinst prerm postrm; do
	install -m 0755 "$here/$script" "$stage/DEBIAN/$script"
done
install -m 0644 "$here/triggers" "$stage/DEBIAN/triggers"
cat >"$stage/DEBIAN/conffiles" <<EOF
/etc/default/keepalived
/etc/init.d/keepalived
/etc/keepalived/keepalived.conf.sample
EOF

depends=$(cd "$out" && mkdir -p shlibs/debian && cd shlibs &&
	: >debian/control &&
	dpkg-shlibdeps -O -e"$stage/usr/sbin/keepalived" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
if [ -z "$depends" ]; then
	depends="libc6 (>= 2.34), libgcc-s1 (>= 4.2)"
fi
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)

cat >"$stage/DEBIAN/control" <<EOF
Package: keepalived-rs
Version: $debversion
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Pre-Depends: init-system-helpers (>= 1.54~)
Provides: keepalived
Conflicts: keepalived
Replaces: keepalived
Section: admin
Priority: optional
Description: VRRP failover daemon, drop-in replacement for keepalived
 keepalived-rs runs the VRRP side of keepalived: the same configuration file,
 command line, init script, systemd unit and wire protocol, so it replaces
 the keepalived package in place. Peers running keepalived 1.x or 2.x cannot
 tell the difference.
 .
 It adds precise configuration diagnostics (keepalived -t), a built-in MySQL
 health check and a Prometheus metrics endpoint. The LVS health checker, BFD
 and SNMP parts of keepalived are not included.
EOF

(cd "$stage" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z |
	xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$stage/DEBIAN/md5sums" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/control"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

deb=$out/keepalived-rs_${debversion}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
