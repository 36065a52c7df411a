#!/bin/sh
# Whole-process comparison of multilog against its peers, interleaved, in one
# run: 256 MB of generated qmail-smtpd/qmail-send log through a pipe (cat of
# a file in the page cache, as a service's output reaches its logger) into a
# fresh logdir with s16777215 n10, and again at the default s99999 n10 (one
# rotation, and one fsync'd archive, every 100 kB: 2,600 of them). Prints
# the median MB/s of each and ratios to the peers, then the idle VmRSS of
# each logger.
#
#   benchmarks/multilog.sh [rounds]        (default 3; SIZE=256M to change)
#
# ONLY=regexp runs only the cases whose name matches (ONLY=s99999: the
# small-archive rows); BASE=dir adds rows for another build's multilog
# (dir/multilog, e.g. a copy of bin/ from before a change), in the same
# interleaved rounds. SKIP_RSS=1 leaves out the idle memory figures.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SIZE=${SIZE:-256M}
make -s build >/dev/null
BIN=$PWD/bin
DATA=$PWD/benchmarks/data
mkdir -p "$DATA"
IN=$DATA/smtp-$SIZE.log
[ -s "$IN" ] || go run ./benchmarks/cmd/gensmtp -size "$SIZE" -o "$IN"
BYTES=$(stat -c %s "$IN")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlog-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cat "$IN" >/dev/null # warm the page cache

# name|command (run in $WORK with stdin a pipe from cat $IN; logdir ./d)
cat >"$WORK/cases" <<CASES
mlog multilog t|$BIN/multilog t s16777215 n10 ./d
daemontools multilog t|/usr/bin/multilog t s16777215 n10 ./d
s6-log t|s6-log -b n10 s16777215 t ./d
svlogd -t|mkdir -p d && printf 's16777215\nn10\n' >d/config && svlogd -t -b 65536 d
mlog multilog (no t)|$BIN/multilog s16777215 n10 ./d
s6-log (no t)|s6-log -b n10 s16777215 ./d
mlog multilog t zstd|$BIN/multilog t z s16777215 n10 ./d
mlog multilog t gzip|$BIN/multilog t zgzip s16777215 n10 ./d
cat > file|cat >file
cat > file + fsync|cat >file && sync file
mlog multilog t s99999|$BIN/multilog t s99999 n10 ./d
daemontools multilog t s99999|/usr/bin/multilog t s99999 n10 ./d
s6-log t s99999|s6-log -b n10 s99999 t ./d
svlogd -t s99999|mkdir -p d && printf 's99999\nn10\n' >d/config && svlogd -t -b 65536 d
mlog multilog s99999 (no t)|$BIN/multilog s99999 n10 ./d
daemontools multilog s99999 (no t)|/usr/bin/multilog s99999 n10 ./d
s6-log s99999 (no t)|s6-log -b n10 s99999 ./d
CASES
if [ -n "${BASE:-}" ]; then
	cat >>"$WORK/cases" <<CASES
base multilog t|$BASE/multilog t s16777215 n10 ./d
base multilog t s99999|$BASE/multilog t s99999 n10 ./d
base multilog s99999 (no t)|$BASE/multilog s99999 n10 ./d
CASES
fi
if [ -n "${ONLY:-}" ]; then
	awk -F'|' -v re="$ONLY" '$1 ~ re' "$WORK/cases" >"$WORK/only"
	mv "$WORK/only" "$WORK/cases"
fi

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
i=0
while [ $i -lt "$ROUNDS" ]; do
	i=$((i + 1))
	while IFS='|' read -r name cmd; do
		rm -rf "$WORK/run" && mkdir "$WORK/run"
		t0=$(now)
		# tw: the writer has put its last byte in the pipe (intake);
		# t1: the logger has exited, its files on disk.
		(cd "$WORK/run" && { cat "$IN"; now >"$WORK/tw"; } | sh -c "$cmd" 2>/dev/null)
		t1=$(now)
		tw=$(cat "$WORK/tw")
		# wait for compressors multilog started to finish (counted)
		while pgrep -f "mlog compress" >/dev/null 2>&1; do sleep 0.05; done
		t2=$(now)
		echo "$name|$(calc "$BYTES / ($t1 - $t0) / 1000000")|$(calc "$BYTES / ($t2 - $t0) / 1000000")|$(calc "$BYTES / ($tw - $t0) / 1000000")" >>"$WORK/results"
	done <"$WORK/cases"
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "multilog throughput, $(nproc) cores, $(date -u +%F), $SIZE input, median of $ROUNDS interleaved rounds"
echo "MB/s: until the logger has exited (files on disk); intake: until the writer's last byte is in the pipe"
printf '%-26s %10s %10s\n' program MB/s intake
while IFS='|' read -r name cmd; do
	m=$(grep -F "$name|" "$WORK/results" | cut -d'|' -f2 | median)
	w=$(grep -F "$name|" "$WORK/results" | cut -d'|' -f4 | median)
	printf '%-26s %10.1f %10.1f\n' "$name" "$m" "$w"
	echo "$name|$m|$w" >>"$WORK/medians"
done <"$WORK/cases"
# For benchmarks/compare.sh: the medians, one "name|MB/s" a line.
if [ -n "${MEDIANS:-}" ]; then cp "$WORK/medians" "$MEDIANS"; fi
get() { grep -F "$1|" "$WORK/medians" | cut -d'|' -f2; }
getw() { grep -F "$1|" "$WORK/medians" | cut -d'|' -f3; }
ratio() { # label, ours, peer...: ours / the fastest of the peers measured
	o=$(get "$2")
	[ -n "$o" ] || return 0
	label=$1 ours=$2
	shift 2
	p=$(for n in "$@"; do get "$n"; done | sort -n | tail -1)
	pw=$(for n in "$@"; do getw "$n"; done | sort -n | tail -1)
	[ -n "$p" ] || return 0
	echo "ratio $label: $(calc "$o / $p") (intake $(calc "$(getw "$ours") / $pw"))"
}
ratio "mlog t / fastest peer with t" "mlog multilog t" "daemontools multilog t" "s6-log t" "svlogd -t"
ratio "mlog (no t) / s6-log (no t)" "mlog multilog (no t)" "s6-log (no t)"
ratio "mlog t zstd / mlog t" "mlog multilog t zstd" "mlog multilog t"
ratio "mlog t s99999 / s6-log t s99999" "mlog multilog t s99999" "s6-log t s99999"
ratio "mlog t s99999 / daemontools t s99999" "mlog multilog t s99999" "daemontools multilog t s99999"
ratio "mlog t s99999 / svlogd -t s99999" "mlog multilog t s99999" "svlogd -t s99999"
ratio "mlog s99999 (no t) / s6-log s99999 (no t)" "mlog multilog s99999 (no t)" "s6-log s99999 (no t)"
ratio "mlog s99999 (no t) / daemontools s99999 (no t)" "mlog multilog s99999 (no t)" "daemontools multilog s99999 (no t)"
ratio "mlog t / base t" "mlog multilog t" "base multilog t"
ratio "mlog t s99999 / base t s99999" "mlog multilog t s99999" "base multilog t s99999"
ratio "mlog s99999 (no t) / base s99999 (no t)" "mlog multilog s99999 (no t)" "base multilog s99999 (no t)"
ratio "base t s99999 / s6-log t s99999" "base multilog t s99999" "s6-log t s99999"
ratio "base s99999 (no t) / s6-log s99999 (no t)" "base multilog s99999 (no t)" "s6-log s99999 (no t)"
[ -n "${SKIP_RSS:-}" ] && exit 0
echo
echo "idle VmRSS (kB), one logdir, default sizes: 2 s after 1000 lines, then 2 s after 200 MB more"
echo "(about 2000 rotations at the default s99999)"
for prog in "$BIN/multilog t ./d" "/usr/bin/multilog t ./d" "s6-log t ./d" "svlogd -t d"; do
	rm -rf "$WORK/run" && mkdir -p "$WORK/run/d"
	fifo=$WORK/fifo; rm -f "$fifo"; mkfifo "$fifo"
	(cd "$WORK/run" && exec $prog <"$fifo" 2>/dev/null) &
	pid=$!
	exec 3>"$fifo"
	head -1000 "$IN" >&3
	sleep 2 # mlog gives memory back after a second of idle input
	rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
	head -c 200000000 "$IN" >&3
	sleep 2
	rss2=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
	case $prog in "$BIN"/*) label="mlog ${prog#"$BIN/"}" ;; *) label=$prog ;; esac
	printf '%-26s %8s %8s\n' "$label" "$rss" "$rss2"
	exec 3>&-
	wait $pid || true
done
