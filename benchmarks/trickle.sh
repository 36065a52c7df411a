#!/bin/sh
# trickle.sh: many loggers fed a trickle of lines, the way tcpserver and
# qmail-send write: N loggers (default 50) of ours and N of daemontools',
# each fed LINES lines (default 10) every EVERY (default 10ms) in WRITES
# small writes (default 5), for DURATION (default 60s), for each SCRIPT in
# turn. One feeder writes every event to all 2N pipes, ours and theirs
# alternately first, so both get the same feed at the same moments. Prints
# the loggers' summed CPU (clock ticks, utime+stime from /proc/PID/stat,
# taken just before the pipes close), CPU per event, summed VmRSS and Pss
# while busy, and ours / daemontools'.
#
#   benchmarks/trickle.sh            N=50 DURATION=60s SCRIPTS='t s16777215 n5;t s99999 n5'
set -eu
cd "$(dirname "$0")/.."
N=${N:-50}
LINES=${LINES:-10}
WRITES=${WRITES:-5}
EVERY=${EVERY:-10ms}
DURATION=${DURATION:-60s}
SCRIPTS=${SCRIPTS:-'t s16777215 n5;t s99999 n5'}
THEIRS=${THEIRS:-/usr/bin/multilog}
make -s build >/dev/null
CGO_ENABLED=0 go build -o bin/trickle ./benchmarks/cmd/trickle
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlog-trickle.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "trickle: $N loggers each, $LINES lines every $EVERY in $WRITES writes, $DURATION ($(date -u '+%F %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
echo "$SCRIPTS" | tr ';' '\n' | while read -r script; do
	[ -n "$script" ] || continue
	echo "multilog $script"
	rm -rf "$WORK"/*
	bin/trickle -n "$N" -lines "$LINES" -writes "$WRITES" -every "$EVERY" -for "$DURATION" -script "$script" -dir "$WORK" \
		mlog="$PWD/bin/multilog" daemontools="$THEIRS"
done
