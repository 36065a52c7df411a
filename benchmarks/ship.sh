#!/bin/bash
# ship.sh: lines per second that mlog ship forwards to a real rsyslogd on
# loopback, over RELP (several windows), TCP (octet counting) and UDP.
#
# A logdir is made once by our multilog (gensmtp | multilog t s16777215):
# SIZE of realistic qmail log, cached in benchmarks/data/. rsyslogd runs in
# the foreground with its own configuration (imrelp, imtcp, imudp on
# 127.0.0.1, every MSG to a file through the default in-memory main queue,
# no imuxsock or imklog). Each run is `mlog ship --once` from an empty
# cursor: it returns once every message is acknowledged (RELP), acknowledged
# by rsyslogd's TCP (TCP) or sent (UDP). The time is ship's; the line count
# in rsyslogd's file is then checked (UDP: the count that arrived is shown).
#
# Usage: benchmarks/ship.sh             SIZE=64M RUNS=3 WINDOWS="128 1024 4096" to change
#
# Needs rsyslog and rsyslog-relp (apt-get install rsyslog rsyslog-relp).
#
# Measured 2026-11-24 on the 2-core development VM (other developers'
# builds running, load 2 to 5), SIZE=64M (1,346,617 lines, 102 MB),
# medians of 3:
#
#   to                        seconds      lines/s       MB/s lines in rsyslogd's file
#   relp window 128            25.355        53110        4.0 1346617
#   relp window 1024           24.470        55032        4.2 1346617
#   relp window 4096           24.125        55819        4.2 1346617
#   tcp                         2.754       488972       37.1 1346617
#   udp (best effort)          15.909        84647        6.4 1346617
#
# rsyslogd's imrelp is the limit: about 18 us of its CPU a message, against
# ship's 2 us at the default window (4096). With SIZE=16M at a quieter
# moment, window 4096 reached 85,000 to 107,000 lines/s.
set -eu
cd "$(dirname "$0")/.."
SIZE=${SIZE:-64M}
RUNS=${RUNS:-3}
WINDOWS=${WINDOWS:-"128 1024 4096"}
DATA=benchmarks/data
export LC_ALL=C

RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || { echo "ship.sh: rsyslogd not found (apt-get install rsyslog rsyslog-relp)" >&2; exit 111; }
mkdir -p "$DATA"
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$DATA/mlog" ./cmd/mlog
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$DATA/multilog" ./cmd/multilog
go build -o "$DATA/gensmtp" ./benchmarks/cmd/gensmtp
MLOG=$PWD/$DATA/mlog

LOGDIR=$PWD/$DATA/ship-$SIZE
if [ ! -d "$LOGDIR" ]; then
  echo "making $LOGDIR ..." >&2
  rm -rf "$LOGDIR.tmp"
  "$DATA/gensmtp" -size "$SIZE" | "$DATA/multilog" t s16777215 n1000 "$LOGDIR.tmp"
  mv "$LOGDIR.tmp" "$LOGDIR"
fi
LINES=$(cat "$LOGDIR"/@*.s "$LOGDIR"/current | wc -l)
BYTES=$(cat "$LOGDIR"/@*.s "$LOGDIR"/current | wc -c)

WORK=$(mktemp -d)
RSPID=
cleanup() {
  [ -n "$RSPID" ] && kill "$RSPID" 2>/dev/null && wait "$RSPID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# Free loopback ports, from the kernel.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RELP=$(port); TCP=$(port); UDP=$(port)
mkdir "$WORK/rs"
cat > "$WORK/rsyslog.conf" <<EOF
global(workDirectory="$WORK/rs" maxMessageSize="64k")
module(load="imrelp")
module(load="imtcp")
module(load="imudp")
template(name="msgonly" type="string" string="%msg%\n")
ruleset(name="shipped") {
	action(type="omfile" file="$WORK/out.log" template="msgonly" asyncWriting="on" ioBufferSize="256k")
}
input(type="imrelp" address="127.0.0.1" port="$RELP" ruleset="shipped")
input(type="imtcp" address="127.0.0.1" port="$TCP" ruleset="shipped")
input(type="imudp" address="127.0.0.1" port="$UDP" ruleset="shipped" rcvbufSize="16m")
EOF
"$RSYSLOGD" -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslogd.pid" 2>"$WORK/rsyslogd.err" &
RSPID=$!
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/$RELP) 2>/dev/null && break
  sleep 0.05
done

# count waits until rsyslogd's file stops growing and prints its lines.
count() {
  local prev=-1 n=0
  while :; do
    n=$(wc -l < "$WORK/out.log" 2>/dev/null || echo 0)
    [ "$n" = "$prev" ] && break
    [ "$n" -ge "$LINES" ] && break
    prev=$n
    sleep 0.5
  done
  echo "$n"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "logdir: $LINES lines, $BYTES bytes ($SIZE of qmail log through multilog t); rsyslog $("$RSYSLOGD" -v | head -1 | awk '{print $2}')"
printf '%-22s %10s %12s %10s %s\n' "to" "seconds" "lines/s" "MB/s" "lines in rsyslogd's file"
one() { # NAME URL ARGS...
  local name=$1 url=$2; shift 2
  local times=() got
  for _ in $(seq "$RUNS"); do
    : > "$WORK/out.log"
    kill -HUP "$RSPID" # reopen the file
    rm -f "$WORK/cursor"
    local t0 t1
    t0=$(date +%s.%N)
    "$MLOG" ship --once --to "$url" --cursor "$WORK/cursor" --app smtpd "$@" "$LOGDIR" >/dev/null # the summary line
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
    got=$(count)
  done
  local s
  s=$(printf '%s\n' "${times[@]}" | median)
  printf '%-22s %10.3f %12.0f %10.1f %s\n' "$name" "$s" "$(echo "$LINES / $s" | bc -l)" "$(echo "$BYTES / $s / 1000000" | bc -l)" "$got"
}
for w in $WINDOWS; do
  one "relp window $w" "relp://127.0.0.1:$RELP" --window "$w"
done
one "tcp" "tcp://127.0.0.1:$TCP"
one "udp (best effort)" "udp://127.0.0.1:$UDP"
