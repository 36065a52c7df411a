#!/bin/sh
# supervise-rss.sh: memory of svscan's supervise processes, ours next to
# daemontools'.
#
#   benchmarks/supervise-rss.sh [-l] [N]
#
# Starts svscan on N (default 100) services whose ./run is "exec sleep",
# waits until all are up and idle (past the 1 s start pause and a rescan),
# then sums VmRSS, Pss and private memory over the supervise processes, and
# reports the idle VmRSS of one supervise (the median) and of svscan. With -l every
# service also has a log (cat >/dev/null), so there are 2N supervise.
#
# Ours is bin/mlog-tools (make build), or $MLOG_TOOLS; daemontools' is
# /usr/bin/supervise and /usr/bin/svscan (Debian's daemontools package).
# VmRSS counts shared pages (the binary, libc) once per process; Pss divides
# them among the processes sharing them, so its sum is the real cost.
set -eu

logs=0
if [ "${1:-}" = -l ]; then logs=1; shift; fi
n=${1:-100}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tools=${MLOG_TOOLS:-$root/bin/mlog-tools}
if [ ! -x "$tools" ]; then
	(cd "$root" && go build -trimpath -ldflags '-s -w' -o "$work/mlog-tools" ./cmd/mlog-tools)
	tools=$work/mlog-tools
fi
mkdir "$work/ours" "$work/theirs"
for p in supervise svscan svc svok; do
	ln -s "$tools" "$work/ours/$p"
	[ -x /usr/bin/$p ] && ln -s /usr/bin/$p "$work/theirs/$p"
done

kb() { # kb FIELD FILE: the kB value of FIELD in a /proc status-like file
	awk -v f="$1:" '$1 == f { print $2; exit }' "$2" 2>/dev/null || echo 0
}

measure() { # measure IMPL
	impl=$1
	bin=$work/$impl
	if [ ! -x "$bin/supervise" ]; then
		echo "$impl: no supervise binary, skipped" >&2
		return
	fi
	scan=$work/$impl-service
	mkdir "$scan"
	i=0
	while [ $i -lt "$n" ]; do
		mkdir -p "$scan/s$i"
		printf '#!/bin/sh\nexec sleep 100000\n' >"$scan/s$i/run"
		chmod +x "$scan/s$i/run"
		if [ $logs = 1 ]; then
			mkdir "$scan/s$i/log"
			printf '#!/bin/sh\nexec cat >/dev/null\n' >"$scan/s$i/log/run"
			chmod +x "$scan/s$i/log/run"
		fi
		i=$((i + 1))
	done

	PATH=$bin:$PATH "$bin/svscan" "$scan" </dev/null >/dev/null 2>"$work/$impl.err" &
	scanpid=$!
	want=$((n * (1 + logs)))
	tries=0
	while :; do
		up=0
		for d in "$scan"/*/ "$scan"/*/log/; do
			[ -d "$d" ] && "$bin/svok" "$d" 2>/dev/null && up=$((up + 1))
		done
		[ $up -ge $want ] && break
		tries=$((tries + 1))
		if [ $tries -gt 600 ]; then echo "$impl: only $up of $want supervise after 60 s" >&2; break; fi
		sleep 0.1
	done
	sleep 7 # idle: past the start pause and a rescan

	rss=0 pss=0 priv=0 count=0
	: >"$work/$impl.rss"
	for pid in $(pgrep -P $scanpid); do
		r=$(kb VmRSS /proc/$pid/status)
		p=$(kb Pss /proc/$pid/smaps_rollup)
		c=$(kb Private_Clean /proc/$pid/smaps_rollup)
		d=$(kb Private_Dirty /proc/$pid/smaps_rollup)
		rss=$((rss + r)) pss=$((pss + p)) priv=$((priv + c + d)) count=$((count + 1))
		echo "$r" >>"$work/$impl.rss"
	done
	median=$(sort -n "$work/$impl.rss" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	printf '%-12s %6d %14d %14d %14d %14s %14s\n' "$impl" "$count" "$rss" "$pss" "$priv" "$median" "$(kb VmRSS /proc/$scanpid/status)"

	kill $scanpid 2>/dev/null || true
	wait $scanpid 2>/dev/null || true
	"$bin/svc" -dx "$scan"/* "$scan"/*/log 2>/dev/null || true
	tries=0
	while [ $tries -lt 100 ]; do
		left=0
		for d in "$scan"/*/ "$scan"/*/log/; do
			[ -d "$d" ] && "$bin/svok" "$d" 2>/dev/null && left=$((left + 1))
		done
		[ $left = 0 ] && break
		sleep 0.1
		tries=$((tries + 1))
	done
}

echo "svscan with $n services$( [ $logs = 1 ] && echo ' and their logs'): memory of the supervise processes (kB)"
printf '%-12s %6s %14s %14s %14s %14s %14s\n' impl procs 'sum VmRSS' 'sum Pss' 'sum private' 'median VmRSS' 'svscan VmRSS'
measure ours
measure theirs
