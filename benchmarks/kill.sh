#!/bin/sh
# kill.sh: kill -9 multilog again and again under load, as a service's
# logger under svscan (which holds the pipe, so nothing in it is lost when
# the logger dies), then count every line the service produced against the
# lines found in the logdir: lost, and written twice. Ours, then
# daemontools' multilog under daemontools' svscan, on the same load.
#
#   benchmarks/kill.sh            KILLS=100 BATCHES=10000 to change
set -eu
cd "$(dirname "$0")/.."
KILLS=${KILLS:-100}
BATCHES=${BATCHES:-10000} # of 1000 numbered lines, with a short pause between
make -s build >/dev/null
TOP=$PWD
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlog-kill.XXXXXX")
trap 'kill $(cat "$WORK"/*.svscan 2>/dev/null) 2>/dev/null || true; for d in "$WORK"/*/service/gen; do svc -dx $d $d/log 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

one() { # name, bindir (svscan, supervise, svc, svstat, multilog come from it)
	name=$1 bindir=$2
	base=$WORK/$name
	mkdir -p "$base/service/gen/log" "$base/log"
	cat >"$base/service/gen/run" <<RUN
#!/bin/sh
i=0
while [ \$i -lt $BATCHES ]; do
	awk -v s=\$((i * 1000)) 'BEGIN { for (j = s; j < s + 1000; j++) printf "line %09d of the load\n", j }'
	i=\$((i + 1))
	[ \$((i % 5)) = 0 ] && sleep 0.01
done
exec sleep 100000
RUN
	cat >"$base/service/gen/log/run" <<RUN
#!/bin/sh
exec $bindir/multilog s1048576 n100000 $base/log/main
RUN
	chmod +x "$base/service/gen/run" "$base/service/gen/log/run"
	PATH=$bindir:$PATH $bindir/svscan "$base/service" &
	echo $! >"$WORK/$name.svscan"
	k=0
	while [ $k -lt "$KILLS" ]; do
		sleep 0.$((3 + k % 5))
		pid=$($bindir/svstat "$base/service/gen/log" 2>/dev/null | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
		[ -n "$pid" ] || continue
		kill -9 "$pid" 2>/dev/null && k=$((k + 1))
	done
	# Let the load finish and the logger drain the pipe.
	last=x
	while :; do
		sleep 2
		now=$(ls -l "$base/log/main" | md5sum)
		[ "$now" = "$last" ] && break
		last=$now
	done
	kill "$(cat "$WORK/$name.svscan")" 2>/dev/null || true # first: see load.sh
	$bindir/svc -dx "$base/service/gen" "$base/service/gen/log"
	sleep 1
	produced=$((BATCHES * 1000))
	cat "$base/log/main"/@* "$base/log/main/current" 2>/dev/null |
		awk -v produced=$produced -v name="$name" -v kills=$KILLS '
		/^line [0-9]+ of the load$/ { n = $2 + 0; if (seen[n]++) dup++; else found++ }
		END { printf "%-12s %6d kills  %9d produced  %9d found  %7d lost  %7d written twice\n", name, kills, produced, found, produced - found, dup }'
}

echo "kill -9 of multilog under load, stdin a pipe held by svscan ($(date -u +%F))"
one mlog "$TOP/bin"
if [ -x /usr/bin/multilog ] && [ -x /usr/bin/svscan ]; then
	mkdir -p "$WORK/dt-bin"
	for p in svscan supervise svc svstat multilog; do ln -s /usr/bin/$p "$WORK/dt-bin/$p"; done
	one daemontools "$WORK/dt-bin"
fi
