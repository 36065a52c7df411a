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
# Run as root, it feeds a third group of ours too, and runs ours and
# daemontools' the way a log/run does: `setuidgid AS multilog ...` (AS,
# default nobody; AS= turns it off). The pipes are then root's (mode
# 0600), as svscan's are, and our logger may not open a description of its
# own of stdin: it waits through its nested epoll instance, the path most
# installations take. The rows: mlog (as root), mlog_setuidgid,
# daemontools_setuidgid (the base of the ratios).
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
AS=${AS-nobody}
[ "$(id -u)" = 0 ] || AS=
if [ -n "$AS" ]; then
	SETUIDGID=$(command -v setuidgid || echo /usr/bin/setuidgid)
	printf '#!/bin/sh\nexec %s %s %s "$@"\n' "$SETUIDGID" "$AS" "$PWD/bin/multilog" >"$WORK.ours"
	printf '#!/bin/sh\nexec %s %s %s "$@"\n' "$SETUIDGID" "$AS" "$THEIRS" >"$WORK.theirs"
	chmod 755 "$WORK.ours" "$WORK.theirs" "$WORK"
	trap 'rm -rf "$WORK" "$WORK.ours" "$WORK.theirs"' EXIT
fi
echo "$SCRIPTS" | tr ';' '\n' | while read -r script; do
	[ -n "$script" ] || continue
	echo "multilog $script"
	rm -rf "$WORK"/*
	if [ -n "$AS" ]; then
		# The loggers' parent directories, writable by AS (each logger
		# makes its own logdir, as multilog does).
		mkdir -m 777 "$WORK/mlog" "$WORK/mlog_setuidgid" "$WORK/daemontools_setuidgid"
		bin/trickle -n "$N" -lines "$LINES" -writes "$WRITES" -every "$EVERY" -for "$DURATION" -script "$script" -dir "$WORK" \
			mlog="$PWD/bin/multilog" mlog_setuidgid="$WORK.ours" daemontools_setuidgid="$WORK.theirs"
	else
		bin/trickle -n "$N" -lines "$LINES" -writes "$WRITES" -every "$EVERY" -for "$DURATION" -script "$script" -dir "$WORK" \
			mlog="$PWD/bin/multilog" daemontools="$THEIRS"
	fi
done
