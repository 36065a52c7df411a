#!/bin/sh
# load.sh: N services (default 100) under svscan, each logging RATE lines a
# second (default 1000) through multilog t into its own logdir, for
# SECONDS (default 600). Then every service's lines are counted against
# what it wrote (lost must be 0), and the loggers' CPU time and resident
# memory are summed. Ours, then daemontools' on the same load.
#
#   benchmarks/load.sh            N=100 RATE=1000 DURATION=600 to change
#
# Measured 2026-11-24 05:00 UTC, 2 cores, the defaults (10 minutes each):
#   mlog          100 services x  1000 lines/s x  600s:   60336300 written   60336300 logged      0 lost; loggers:  143.2 CPU-s,  273744 kB VmRSS in all
#   daemontools   100 services x  1000 lines/s x  600s:   60247200 written   60247200 logged      0 lost; loggers:  136.8 CPU-s,  137412 kB VmRSS in all
# (Earlier the same day, before multilog waited in Go's poller: 147.5 against 129.7 CPU-s.)
# (VmRSS while busy: idle loggers give memory back, see README "Memory".)
set -eu
cd "$(dirname "$0")/.."
N=${N:-100}
RATE=${RATE:-1000}
DURATION=${SECONDS_:-${DURATION:-600}}
make -s build >/dev/null
CGO_ENABLED=0 go build -o bin/ratelines ./benchmarks/cmd/ratelines
TOP=$PWD
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlog-load.XXXXXX")
trap 'kill $(cat "$WORK"/*.svscan 2>/dev/null) 2>/dev/null || true; for s in "$WORK"/*/service/*; do svc -dx $s $s/log 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
tck=$(getconf CLK_TCK)

one() { # name, bindir
	name=$1 bindir=$2
	base=$WORK/$name
	i=0
	while [ $i -lt "$N" ]; do
		s=$base/service/s$i
		mkdir -p "$s/log" "$base/log"
		printf '#!/bin/sh\nexec %s/ratelines -rate %s -name s%s -count %s/count.s%s\n' "$TOP/bin" "$RATE" "$i" "$base" "$i" >"$s/run"
		printf '#!/bin/sh\nexec %s/multilog t s16777215 n10 %s/log/s%s\n' "$bindir" "$base" "$i" >"$s/log/run"
		chmod +x "$s/run" "$s/log/run"
		i=$((i + 1))
	done
	PATH=$bindir:$PATH $bindir/svscan "$base/service" &
	echo $! >"$WORK/$name.svscan"
	sleep "$DURATION"
	# CPU and memory of the loggers, while running.
	pids=$(for s in "$base"/service/s*; do $bindir/svstat "$s/log" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p'; done)
	cpu=0 rss=0
	for p in $pids; do
		set -- $(awk '{print $14, $15}' /proc/$p/stat)
		cpu=$((cpu + $1 + $2))
		rss=$((rss + $(awk '/VmRSS/ {print $2}' /proc/$p/status)))
	done
	# Stop the writers (each records its count as it exits), then let the
	# loggers drain the pipes.
	for s in "$base"/service/s*; do $bindir/svc -d "$s"; done
	t=0
	while [ "$(ls "$base"/count.s* 2>/dev/null | wc -l)" -lt "$N" ] && [ $t -lt 120 ]; do sleep 1; t=$((t + 1)); done
	logged() { cat "$base"/log/s*/@* "$base"/log/s*/current 2>/dev/null | wc -l; }
	last=-1
	while [ "$(logged)" != "$last" ]; do last=$(logged); sleep 2; done
	# svscan first: a scan between svc -x and its end would start the
	# exited supervise processes again (as daemontools' would), and with
	# no down file their services too.
	kill "$(cat "$WORK/$name.svscan")" 2>/dev/null || true
	for s in "$base"/service/s*; do $bindir/svc -dx "$s" "$s/log"; done
	# Wait (at most a minute) for every supervise to go, so the next run
	# starts on a quiet machine.
	t=0
	while [ $t -lt 60 ]; do
		left=0
		for s in "$base"/service/s*; do
			$bindir/svok "$s" 2>/dev/null && left=1
			$bindir/svok "$s/log" 2>/dev/null && left=1
		done
		[ $left = 0 ] && break
		sleep 1
		t=$((t + 1))
	done
	produced=0 found=0
	i=0
	while [ $i -lt "$N" ]; do
		produced=$((produced + $(cat "$base/count.s$i" 2>/dev/null || echo 0)))
		found=$((found + $(cat "$base/log/s$i"/@* "$base/log/s$i/current" 2>/dev/null | grep -c " s$i line ")))
		i=$((i + 1))
	done
	printf '%-12s %4d services x %5d lines/s x %4ds: %10d written %10d logged %6d lost; loggers: %6.1f CPU-s, %7d kB VmRSS in all\n' \
		"$name" "$N" "$RATE" "$DURATION" "$produced" "$found" $((produced - found)) "$(echo "$cpu $tck" | awk '{print $1 / $2}')" "$rss"
}

echo "load: $N services, $RATE lines/s each, $DURATION s ($(date -u +%F), $(nproc) cores)"
one mlog "$TOP/bin"
if [ -x /usr/bin/multilog ]; then
	mkdir -p "$WORK/dt-bin"
	for p in svscan supervise svc svstat multilog; do ln -s /usr/bin/$p "$WORK/dt-bin/$p"; done
	one daemontools "$WORK/dt-bin"
fi
