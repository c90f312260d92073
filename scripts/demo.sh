#!/usr/bin/env bash
# The failover demo: builds keepalived-rs and runs the seed pair (samples/seed-master.conf
# and samples/seed-backup.conf) in throw-away network namespaces on this machine:
#
#   [master 198.18.0.1] ─┐
#   [backup 198.18.0.2] ─┼─ bridge ─ [client 198.18.0.200: ping VIP 198.18.0.100 every 5 ms]
#
# It shows where the VIP is, stops the master, shows the VIP moving to the backup with
# the outage the client saw, then restarts the master and shows it taking the VIP back.
# Needs root (namespaces, raw sockets); as a user it re-runs itself with sudo. Nothing
# leaves the namespaces; everything the demo creates is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

# Root is needed; a user runs it again through sudo. Root runs it directly (a fresh
# machine or container is often root without sudo installed).
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    exec sudo -- "$PWD/scripts/demo.sh" "$@"
  fi
  echo "demo: needs root (it creates network namespaces), and sudo is not installed" >&2
  exit 1
fi

need=()
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
command -v curl >/dev/null || need+=(curl ca-certificates)
command -v cc >/dev/null || need+=(gcc libc6-dev)
if [ ${#need[@]} -gt 0 ]; then
  echo "demo: installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "demo: installing Rust with rustup (https://rustup.rs)"
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >/dev/null
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

echo "demo: building (cargo build --release)"
cargo build --release --quiet --bin keepalived
bin="$PWD/target/release/keepalived"

tag="krsdemo$$"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.2
  for n in master backup client br; do ip netns del "$tag-$n" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$tag-br"
ip -n "$tag-br" link add br0 type bridge forward_delay 0
ip -n "$tag-br" link set br0 up
add_host() { # name address
  ip netns add "$tag-$1"
  ip link add "p-$1" netns "$tag-br" type veth peer name eth0 netns "$tag-$1"
  ip -n "$tag-br" link set "p-$1" master br0 up
  ip -n "$tag-$1" addr add "$2/24" dev eth0
  ip -n "$tag-$1" link set eth0 up
  ip -n "$tag-$1" link set lo up
}
add_host master 198.18.0.1
add_host backup 198.18.0.2
add_host client 198.18.0.200

start() { # node config
  mkdir -p "$work/$1"
  ip netns exec "$tag-$1" env TMPDIR="$work/$1" "$bin" -n -l -G -f "$2" \
    -p "$work/$1/keepalived.pid" -r "$work/$1/vrrp.pid" >>"$work/$1.log" 2>&1 &
  pids+=($!)
  echo $!
}
where() {
  for n in master backup; do
    if ip -n "$tag-$n" -4 -o addr show dev eth0 | grep -q "inet 198.18.0.100/"; then echo "$n"; return; fi
  done
  echo "nobody"
}
wait_vip_on() { # node seconds
  local end=$(( $(date +%s%N) + $2 * 1000000000 ))
  while [ "$(date +%s%N)" -lt "$end" ]; do
    [ "$(where)" = "$1" ] && return 0
    sleep 0.01
  done
  return 1
}
longest_gap_ms() { # ping -D output file
  awk -F'[][]' '/bytes from/ { t=$2; if (p != "" && t-p > g) g=t-p; p=t } END { printf "%.0f", g*1000 }' "$1"
}

echo "demo: starting keepalived-rs on master (priority 101) and backup (priority 100)"
master_pid=$(start master samples/seed-master.conf)
start backup samples/seed-backup.conf >/dev/null
wait_vip_on master 10 || { echo "demo: the VIP never appeared"; cat "$work"/*.log; exit 1; }
echo "demo: VIP 198.18.0.100 is on: $(where)"

ip netns exec "$tag-client" ping -n -D -i 0.005 198.18.0.100 >"$work/ping1.txt" 2>/dev/null &
ping_pid=$!; pids+=($ping_pid)
sleep 1
echo "demo: stopping the master (SIGTERM) while the client pings the VIP every 5 ms"
t0=$(date +%s%N)
kill -TERM "$master_pid"
wait_vip_on backup 5 || { echo "demo: the VIP did not move"; cat "$work"/*.log; exit 1; }
t1=$(date +%s%N)
sleep 1
kill "$ping_pid"; wait "$ping_pid" 2>/dev/null || true
echo "demo: VIP moved to: $(where) after $(( (t1 - t0) / 1000000 )) ms (protocol bound: backup skew 609 ms)"
echo "demo: client-visible outage: $(longest_gap_ms "$work/ping1.txt") ms"

echo "demo: restarting the master; it preempts (priority 101 > 100) after its down timer"
start master samples/seed-master.conf >/dev/null
wait_vip_on master 10 || { echo "demo: the master did not take the VIP back"; exit 1; }
echo "demo: VIP is back on: $(where)"
echo
echo "demo: master log:"; sed 's/^/  /' "$work/master.log"
echo "demo: backup log:"; sed 's/^/  /' "$work/backup.log"
