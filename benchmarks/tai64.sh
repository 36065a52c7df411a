#!/bin/sh
# tai64.sh: whole-process throughput of our tai64n and tai64nlocal against
# daemontools' and s6's, on a generated qmail-smtpd + qmail-send log.
#
#	benchmarks/tai64.sh            # 256 MB, 5 rounds
#	SIZE=64M ROUNDS=3 benchmarks/tai64.sh
#
# The log is made once by benchmarks/cmd/gensmtp and kept under
# benchmarks/data/ (gitignored). Each round runs every program once, in
# turn, reading the log from a file and writing to /dev/null, with TZ unset
# (so /etc/localtime); the figure is the median round. Before timing, the
# outputs of our tai64nlocal and daemontools' are compared byte for byte
# (CHECK=0 skips that).
#
# Targets (issue 2): tai64nlocal >= 5x s6-tai64nlocal, tai64n >= 3x
# s6-tai64n.
set -eu

SIZE=${SIZE:-256M}
ROUNDS=${ROUNDS:-5}
CHECK=${CHECK:-1}
GO=${GO:-go}

cd "$(dirname "$0")/.."
data=benchmarks/data
mkdir -p "$data"
bin=$(mktemp -d "${TMPDIR:-/tmp}/mlog-tai64-bench.XXXXXX")
trap 'rm -rf "$bin"' EXIT INT TERM

"$GO" build -trimpath -o "$bin/mlog-tools" ./cmd/mlog-tools
"$GO" build -trimpath -o "$bin/gensmtp" ./benchmarks/cmd/gensmtp
ln -s mlog-tools "$bin/tai64n"
ln -s mlog-tools "$bin/tai64nlocal"

plain=$data/smtp-$SIZE.log
stamped=$data/smtp-$SIZE.stamped
[ -s "$plain" ] || "$bin/gensmtp" -size "$SIZE" -o "$plain"
[ -s "$stamped" ] || "$bin/gensmtp" -size "$SIZE" -stamp -o "$stamped"

# find prints the path of a program, or nothing.
find() { command -v "$1" 2>/dev/null || true; }
dt_tai64n=$(find /usr/bin/tai64n)
dt_tai64nlocal=$(find /usr/bin/tai64nlocal)
s6_tai64n=$(find s6-tai64n)
s6_tai64nlocal=$(find s6-tai64nlocal)

if [ "$CHECK" = 1 ] && [ -n "$dt_tai64nlocal" ]; then
	a=$(env -u TZ "$bin/tai64nlocal" <"$stamped" | cksum)
	b=$(env -u TZ "$dt_tai64nlocal" <"$stamped" | cksum)
	if [ "$a" != "$b" ]; then
		echo "tai64.sh: fatal: our tai64nlocal's output differs from $dt_tai64nlocal's" >&2
		exit 111
	fi
	echo "check: tai64nlocal output identical to daemontools' ($a)"
fi

# now prints nanoseconds since the epoch.
now() { date +%s%N; }

# GNU time gives the CPU time too (user + system), which says more than the
# wall time when other jobs share the machine.
gnutime=$(find /usr/bin/time)

# run NAME INPUT PROG: time one run, appending the wall seconds to
# $bin/NAME and the CPU seconds to $bin/NAME.cpu.
run() {
	name=$1 input=$2 prog=$3
	t0=$(now)
	if [ -n "$gnutime" ]; then
		env -u TZ "$gnutime" -f '%U %S' -o "$bin/cpu" "$prog" <"$input" >/dev/null
		awk '{ print $1 + $2 }' "$bin/cpu" >>"$bin/$name.cpu"
	else
		env -u TZ "$prog" <"$input" >/dev/null
	fi
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.6f\n", ($2 - $1) / 1e9 }' >>"$bin/$name"
}

progs="mlog-tai64nlocal:$stamped:$bin/tai64nlocal"
[ -n "$s6_tai64nlocal" ] && progs="$progs s6-tai64nlocal:$stamped:$s6_tai64nlocal"
[ -n "$dt_tai64nlocal" ] && progs="$progs daemontools-tai64nlocal:$stamped:$dt_tai64nlocal"
progs="$progs mlog-tai64n:$plain:$bin/tai64n"
[ -n "$s6_tai64n" ] && progs="$progs s6-tai64n:$plain:$s6_tai64n"
[ -n "$dt_tai64n" ] && progs="$progs daemontools-tai64n:$plain:$dt_tai64n"

# Warm the page cache.
cat "$plain" "$stamped" >/dev/null

i=1
while [ "$i" -le "$ROUNDS" ]; do
	for p in $progs; do
		name=${p%%:*} rest=${p#*:}
		run "$name" "${rest%%:*}" "${rest#*:}"
	done
	i=$((i + 1))
done

# median FILE prints the median of the numbers in $bin/FILE, or 0.
median() {
	[ -s "$bin/$1" ] || { echo 0; return; }
	sort -n "$bin/$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

bytes_plain=$(wc -c <"$plain")
bytes_stamped=$(wc -c <"$stamped")
lines_plain=$(wc -l <"$plain")
lines_stamped=$(wc -l <"$stamped")
printf 'input: %s (%s bytes, %s lines), %s (%s bytes, %s lines)\n' \
	"$plain" "$bytes_plain" "$lines_plain" "$stamped" "$bytes_stamped" "$lines_stamped"
printf '%s rounds, median; MB/s = 10^6 bytes of input per second of wall or CPU (user+sys) time\n' "$ROUNDS"
printf '%-24s %8s %8s %9s %8s %8s\n' program wall-s MB/s Mlines/s cpu-s MB/s
for p in $progs; do
	name=${p%%:*} rest=${p#*:}
	size=$bytes_plain lines=$lines_plain
	if [ "${rest%%:*}" = "$stamped" ]; then
		size=$bytes_stamped lines=$lines_stamped
	fi
	w=$(median "$name")
	c=$(median "$name.cpu")
	echo "$name $w $c $size $lines" | awk '{
		printf "%-24s %8.3f %8.1f %9.2f", $1, $2, $4 / $2 / 1e6, $5 / $2 / 1e6
		if ($3 > 0) printf " %8.3f %8.1f", $3, $4 / $3 / 1e6
		printf "\n" }'
	echo "$w" >"$bin/median.$name"
	echo "$c" >"$bin/median.$name.cpu"
done

# ratio A B prints how many times faster A is than B, by wall and CPU time.
ratio() {
	[ -f "$bin/median.$2" ] || return 0
	echo "$1 $2" $(cat "$bin/median.$1" "$bin/median.$2" "$bin/median.$1.cpu" "$bin/median.$2.cpu") | awk '{
		printf "%s vs %s: %.2fx (wall)", $1, $2, $4 / $3
		if ($5 > 0) printf ", %.2fx (cpu)", $6 / $5
		printf "\n" }'
}
echo
ratio mlog-tai64nlocal s6-tai64nlocal
ratio mlog-tai64nlocal daemontools-tai64nlocal
ratio mlog-tai64n s6-tai64n
ratio mlog-tai64n daemontools-tai64n
