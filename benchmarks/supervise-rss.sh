#!/bin/sh
# supervise-rss.sh: memory of svscan's supervise processes, ours next to
# daemontools'.
#
#   benchmarks/supervise-rss.sh [-l] [-f] [N]
#
# Starts svscan on N (default 100) services whose ./run is "exec sleep",
# waits until all are up and idle (past the 1 s start pause and a rescan),
# then sums VmRSS, Pss and private memory over the supervise processes, and
# reports the idle VmRSS of one supervise (the median) and of svscan. With -l every
# service also has a log (cat >/dev/null), so there are 2N supervise.
# With -f two more rows run in place of supervise the least a Go program
# can be that svok sees as a supervise (it holds supervise/ok open and
# sleeps; built here with the same flags as make build): go-floor with
# package syscall alone, go-floor-os the same through package os (as any
# program that links time, io/fs or os: that alone costs about 50 kB a
# process, measured). What one Go process per service costs before any
# code of ours.
#
# Ours is bin/supervise (make build), or $SUPERVISE, started by the svscan
# of bin/mlog-tools, or $MLOG_TOOLS; daemontools' is /usr/bin/supervise and
# /usr/bin/svscan (Debian's daemontools package). VmRSS counts shared pages
# (the binary, libc) once per process; Pss divides them among the
# processes sharing them, so its sum is the real cost.
set -eu

logs=0 floor=0
while :; do
	case ${1:-} in
	-l) logs=1; shift ;;
	-f) floor=1; shift ;;
	*) break ;;
	esac
done
n=${1:-100}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build() { # build OUT PKG: as make build does
	(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$1" "$2")
}
tools=${MLOG_TOOLS:-$root/bin/mlog-tools}
[ -x "$tools" ] || { build "$work/mlog-tools" ./cmd/mlog-tools; tools=$work/mlog-tools; }
sup=${SUPERVISE:-$root/bin/supervise}
[ -x "$sup" ] || { build "$work/supervise" ./cmd/supervise; sup=$work/supervise; }
mkdir "$work/ours" "$work/theirs" "$work/go-floor" "$work/go-floor-os"
# svscan runs the supervise beside its binary (see internal/compat's
# sibling): a copy of mlog-tools here makes that the one measured.
for impl in ours go-floor go-floor-os; do
	cp "$tools" "$work/$impl/mlog-tools"
	for p in svscan svc svok; do ln -s mlog-tools "$work/$impl/$p"; done
done
ln -s "$sup" "$work/ours/supervise"
for p in supervise svscan svc svok; do
	[ -x /usr/bin/$p ] && ln -s /usr/bin/$p "$work/theirs/$p"
done
if [ $floor = 1 ]; then
	mkdir "$work/floor-src"
	cat >"$work/floor-src/main.go" <<'GO'
// The least a Go supervise can be: svok sees it (it reads supervise/ok).
// Like supervise it changes to its argument, read from /proc/self/cmdline
// (package os would run its init).
package main

import "syscall"

func main() {
	var b [4096]byte
	fd, _ := syscall.Open("/proc/self/cmdline", syscall.O_RDONLY, 0)
	n, _ := syscall.Read(fd, b[:])
	i := 0
	for i < n && b[i] != 0 {
		i++
	}
	j := i + 1
	for j < n && b[j] != 0 {
		j++
	}
	if j <= n {
		syscall.Chdir(string(b[i+1 : j]))
	}
	syscall.Mkdir("supervise", 0700)
	syscall.Mkfifo("supervise/ok", 0600)
	syscall.Open("supervise/ok", syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	for {
		syscall.Syscall(syscall.SYS_PAUSE, 0, 0, 0)
	}
}
GO
	mkdir "$work/floor-os-src"
	cat >"$work/floor-os-src/main.go" <<'GO'
// go-floor through package os.
package main

import (
	"os"
	"syscall"
)

func main() {
	os.Chdir(os.Args[1])
	syscall.Mkdir("supervise", 0700)
	syscall.Mkfifo("supervise/ok", 0600)
	syscall.Open("supervise/ok", syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	for {
		syscall.Syscall(syscall.SYS_PAUSE, 0, 0, 0)
	}
}
GO
	for d in floor-src floor-os-src; do
		printf 'module floor\n' >"$work/$d/go.mod"
	done
	(cd "$work/floor-src" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/go-floor/supervise" .)
	(cd "$work/floor-os-src" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/go-floor-os/supervise" .)
fi

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

	# The floors get the one P that ours gives itself (internal/daemon.OneProc).
	gmp=; case $impl in go-floor*) gmp=1 ;; esac
	env PATH="$bin:$PATH" ${gmp:+GOMAXPROCS=$gmp} "$bin/svscan" "$scan" </dev/null >/dev/null 2>"$work/$impl.err" &
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

	kids=$(pgrep -P $scanpid || true)
	kill $scanpid 2>/dev/null || true
	wait $scanpid 2>/dev/null || true
	case $impl in go-floor*)
		kill $kids 2>/dev/null || true
		return
	esac
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
if [ $floor = 1 ]; then
	measure go-floor
	measure go-floor-os
fi
