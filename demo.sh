#!/bin/sh
# The main job, end to end: a qmail-style smtpd service whose log/run is
# `multilog t z s... n... ./main` runs under our svscan; its run script
# emits a realistic burst of qmail-smtpd/qmail-send log lines; our multilog
# stamps, rotates and compresses them. Then svstat, the logdir, the last
# lines through tai64nlocal, a time-range query and a histogram.
#
#   make demo        (or ./demo.sh after make build)
set -eu
cd "$(dirname "$0")"
TOP=$PWD
BIN=$TOP/bin
[ -x "$BIN/gensmtp" ] || go build -o "$BIN/gensmtp" ./benchmarks/cmd/gensmtp
PATH=$BIN:$PATH
export PATH
SIZE=${DEMO_SIZE:-24M}

rm -rf demo
mkdir -p demo/service/smtpd/log demo/log
cat >demo/service/smtpd/run <<RUN
#!/bin/sh
# A burst of qmail-smtpd and qmail-send lines, then idle (as a quiet server).
exec 2>&1
gensmtp -size $SIZE -seed \$\$
exec sleep 3600
RUN
cat >demo/service/smtpd/log/run <<RUN
#!/bin/sh
# As the qmail article writes it (setuidgid dropped: the demo runs as you),
# plus mlog's z: archives compressed with zstd off the intake path.
exec multilog t z s4194304 n10 $TOP/demo/log/smtpd
RUN
chmod +x demo/service/smtpd/run demo/service/smtpd/log/run

echo "== svscan demo/service  (our svscan starts supervise smtpd and supervise smtpd/log)"
svscan demo/service &
SVSCAN=$!
trap 'svc -dx demo/service/smtpd demo/service/smtpd/log 2>/dev/null; kill $SVSCAN 2>/dev/null; wait 2>/dev/null' EXIT

# Wait (at most a minute) until the burst is logged: current stops growing.
last=-1
i=0
while [ $i -lt 120 ]; do
	sleep 0.5
	i=$((i + 1))
	now=$(ls -l demo/log/smtpd 2>/dev/null | md5sum)
	[ "$now" = "$last" ] && [ -s demo/log/smtpd/current ] && break
	last=$now
done

echo
echo "== svstat demo/service/smtpd demo/service/smtpd/log"
svstat demo/service/smtpd demo/service/smtpd/log
echo
echo "== ls -l demo/log/smtpd   (@<tai64n>.s.zst: finished archives, compressed; n10 keeps 9)"
ls -l demo/log/smtpd
echo
echo "== tail -5 demo/log/smtpd/current | tai64nlocal"
tail -5 demo/log/smtpd/current | tai64nlocal
echo
echo "== mlog query --since -10m --count 'starting delivery' demo/log/smtpd   (across current and the zstd archives)"
mlog query --since -10m --count 'starting delivery' demo/log/smtpd || true
echo
echo "== mlog query --since -30s --histogram 2s demo/log/smtpd"
mlog query --since -30s --histogram 2s demo/log/smtpd | tail -15 || true
echo
echo "== svc -d demo/service/smtpd; svstat"
svc -d demo/service/smtpd
sleep 1
svstat demo/service/smtpd
