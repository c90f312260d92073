#!/bin/sh
# Captures keepalived 2.2.7's signal dump files (USR1 data, USR2 stats, SIGRTMIN+2 json)
# from a master/backup pair running in two throw-away network namespaces joined by a veth
# pair (198.18.0.0/15 addresses). Needs root. Output: ./master/ and ./backup/ next to this
# script. Run: sudo sh tests/data/dumps/capture.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/ka-dump-capture.XXXXXX)
nsa=kadump-a-$$
nsb=kadump-b-$$
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    sleep 1
    ip netns del "$nsa" 2>/dev/null || true
    ip netns del "$nsb" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add "$nsa"
ip netns add "$nsb"
ip link add kd0 netns "$nsa" type veth peer name kd0 netns "$nsb"
ip -n "$nsa" addr add 198.18.41.1/24 dev kd0
ip -n "$nsb" addr add 198.18.41.2/24 dev kd0
ip -n "$nsa" link set lo up; ip -n "$nsa" link set kd0 up
ip -n "$nsb" link set lo up; ip -n "$nsb" link set kd0 up

for role in master backup; do
    mkdir -p "$work/$role/tmp"
    if [ $role = master ]; then prio=101; state=MASTER; rid=node-a; else prio=100; state=BACKUP; rid=node-b; fi
    cat > "$work/$role/keepalived.conf" <<CONF
global_defs {
    router_id $rid
    vrrp_garp_master_delay 5
}
vrrp_script chk_true {
    script "/bin/true"
    interval 2
    weight 5
}
vrrp_instance VI_41 {
    state $state
    interface kd0
    virtual_router_id 41
    priority $prio
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        198.18.41.100/24
    }
    track_script {
        chk_true
    }
}
vrrp_instance VI_42 {
    state BACKUP
    interface kd0
    virtual_router_id 42
    priority $prio
    version 3
    advert_int 0.5
    nopreempt
    virtual_ipaddress {
        198.18.42.100/32
        198.18.42.101/32
    }
}
CONF
done

start() { # role ns
    ip netns exec "$2" env TMPDIR="$work/$1/tmp" /usr/sbin/keepalived -n -l -D \
        --vrrp -f "$work/$1/keepalived.conf" -p "$work/$1/ka.pid" -r "$work/$1/vrrp.pid" \
        >"$work/$1/log" 2>&1 &
    pids="$pids $!"
}
start master "$nsa"
start backup "$nsb"
sleep 8

for role in master backup; do
    pid=$(cat "$work/$role/ka.pid")
    kill -USR1 "$pid"; kill -USR2 "$pid"; kill -s "$(/usr/sbin/keepalived --signum=JSON)" "$pid"
done
sleep 2
for role in master backup; do
    mkdir -p "$here/$role"
    cp "$work/$role/keepalived.conf" "$here/$role/keepalived.conf"
    for f in keepalived.data keepalived.stats keepalived.json; do
        cp "$work/$role/tmp/$f" "$here/$role/$f"
    done
done
echo "captured into $here/master and $here/backup"
