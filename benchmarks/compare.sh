#!/bin/sh
# compare.sh (make bench-compare): every whole-process comparison in one
# go, written to benchmarks/RESULTS.md with the date, the machine and the
# commands, and a chart of multilog throughput per program next to cat
# (benchmarks/multilog.svg). Installs Debian's daemontools, runit and s6
# first if they are missing (make peers).
#
#   benchmarks/compare.sh            SIZE=256M ROUNDS=3 to change
set -eu
cd "$(dirname "$0")/.."
make -s peers build
ROUNDS=${ROUNDS:-3}
SIZE=${SIZE:-256M}
OUT=benchmarks/RESULTS.md
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mlog-compare.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

run() { # title, command...
	title=$1
	shift
	echo "== $title: $*" >&2
	{
		echo "## $title"
		echo
		echo '```'
		echo "\$ $*"
		"$@" 2>&1 || echo "(exit $?)"
		echo '```'
		echo
	} >>"$TMP/body"
}

MEDIANS=$TMP/multilog.medians
export MEDIANS SIZE
run "multilog" benchmarks/multilog.sh "$ROUNDS"
run "tai64n and tai64nlocal" env SIZE="$SIZE" ROUNDS="$ROUNDS" benchmarks/tai64.sh
run "mlog query" env RUNS="$ROUNDS" NAIVE_RUNS=1 benchmarks/query.sh
run "mlog qmail" env SIZE=2G RUNS="$ROUNDS" benchmarks/qmail.sh
run "multilog fed a trickle" env N=50 DURATION=60s benchmarks/trickle.sh
run "supervise memory (100 services)" benchmarks/supervise-rss.sh -f 100

# The chart: one bar per program, MB/s.
if [ -s "$MEDIANS" ]; then
	benchmarks/chart.sh "$MEDIANS" >benchmarks/multilog.svg
fi

{
	echo "# Benchmark results"
	echo
	echo "Made by \`make bench-compare\` (benchmarks/compare.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -srm);"
	echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')."
	echo "Peers: $(dpkg-query -W -f '${Package} ${Version}, ' daemontools runit s6 2>/dev/null | sed 's/, $//')."
	echo "Runs are interleaved and the medians reported; on a shared machine, read ratios from one run, not absolute figures."
	echo
	echo "![multilog throughput](multilog.svg)"
	echo
	cat "$TMP/body"
} >"$OUT"
echo "wrote $OUT and benchmarks/multilog.svg" >&2
