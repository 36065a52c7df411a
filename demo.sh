#!/bin/sh
# The main job, end to end: the qmail article's services (examples/qmail:
# qmail, smtpd, pop3d, each with run and log/run) under our svscan, real
# mail sent with swaks through Debian's tcpserver, logged by our multilog
# (here with z and a small s so rotation and zstd archives show), then the
# article's commands: svstat, svc -d, svc -u, the down file, the dot-rename
# with svc -x; and the logs read back with tai64nlocal and mlog query, and
# at the end the day's mail told by mlog qmail stats and mlog qmail trace.
#
# Without tcpserver and swaks (make peers installs them as root) it falls
# back to a generated burst of qmail-smtpd/qmail-send lines.
#
# Everything the demo runs lives in a fresh directory under /tmp, linked as
# ./demo: as root the loggers and servers run as nobody, as the article's
# run as qmaill and qmaild, and nobody must reach their programs and
# logdirs, which a clone in /root (mode 0700) does not allow.
#
# It exits 1, with a sentence saying what went wrong, when a service or a
# logger fails or no line got logged.
#
#   make demo        (or ./demo.sh after make build)
set -eu
cd "$(dirname "$0")"
TOP=$PWD
MAILS=${DEMO_MAILS:-200}
SMTP_PORT=${DEMO_SMTP_PORT:-2525}
POP_PORT=${DEMO_POP_PORT:-2110}

# Bold headings on a terminal; plain text into a file or a pipe.
if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
fail() { # sentence: say what went wrong, show supervise's messages, exit 1
	if [ -s "${ERRS:-}" ]; then
		printf '\nsvscan and supervise said (each line once):\n' >&2
		awk '!seen[$0]++ { print "    " $0 }' "$ERRS" >&2
	fi
	printf '\nmake demo failed: %s\n' "$*" >&2
	exit 1
}
waitfor() { # seconds, command...: poll until the command succeeds
	n=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}
allup() { for s in "$@"; do svstat "$s" | grep -q ': up (pid' || return 1; done; }
# quiet: svscan's and supervise's stderr (where a logger's fatal message
# lands) has nothing in it.
quiet() { ! [ -s "$ERRS" ]; }
# lines DIR: how many lines DIR's logger has written (0 if none).
lines() { cat "$1"/current "$1"/@*.s 2>/dev/null | wc -l; }

[ -x bin/mlog ] && [ -x bin/multilog ] || fail "run make build first (bin/mlog and bin/multilog are missing)."
if [ "$(id -u)" = 0 ]; then account=nobody; else account=; fi

# The previous run's directory goes, with its link.
if [ -L demo ]; then
	old=$(readlink demo)
	case $old in /tmp/mlog-demo.*) rm -rf "$old" ;; esac
fi
rm -rf demo
DEMO=$(mktemp -d /tmp/mlog-demo.XXXXXX)
chmod 755 "$DEMO"
ln -s "$DEMO" demo
ERRS=$DEMO/svscan.errors
BIN=$DEMO/bin
mkdir "$BIN"
cp -P "$TOP"/bin/* "$BIN"/
PATH=$BIN:$PATH
export PATH
LOG=$DEMO/log
mkdir -p demo/services demo/service "$LOG"
: >"$ERRS"
story=1
command -v tcpserver >/dev/null 2>&1 && command -v swaks >/dev/null 2>&1 || story=0

if [ $story = 1 ]; then
	CGO_ENABLED=0 go build -o "$BIN/qmail-sim" ./examples/qmail/cmd/qmail-sim
	if [ "$(id -u)" = 0 ]; then account=nobody; else account=; fi
	# qmail-sim's queue: smtpd (as nobody) puts mail there, qmail takes it.
	mkdir "$DEMO/queue"
	[ -n "$account" ] && chown $account "$DEMO/queue"
	# The article's run scripts, pointed at ./demo instead of /var.
	for svc in qmail smtpd pop3d; do
		mkdir -p demo/services/$svc/log "$LOG/$svc"
		[ -n "$account" ] && chown $account "$LOG/$svc"
		for f in run log/run; do
			sed -e "s| /var/log/| $LOG/|" \
				-e "s| /var/qmail/bin/qmail-sim | $BIN/qmail-sim |" -e "s| /var/qmail/queue-sim| $DEMO/queue|" \
				-e "s| 0 smtp | 127.0.0.1 $SMTP_PORT |" -e "s| 0 pop3 | 127.0.0.1 $POP_PORT |" \
				-e "s|multilog t s16777215|multilog t z s65536|" \
				examples/qmail/$svc/$f >demo/services/$svc/$f
			if [ -n "$account" ]; then
				sed -i -e "s|setuidgid qmail[lsp] |setuidgid $account |" -e "s|id -u qmaild|id -u $account|" -e "s|id -g qmaild|id -g $account|" demo/services/$svc/$f
			else
				sed -i -e "s|setuidgid qmail[lsp] ||" -e "s|id -u qmaild|id -u|" -e "s|id -g qmaild|id -g|" -e 's| -u $QMAILDUID -g $NOFILESGID | |' demo/services/$svc/$f
			fi
			chmod +x demo/services/$svc/$f
		done
	done
	say "demo/services/smtpd/log/run (from examples/qmail, with z and s65536 added)"
	cat demo/services/smtpd/log/run

	say "svscan demo/service; ln -s ../services/{qmail,smtpd,pop3d} demo/service/"
	svscan demo/service 2>>"$ERRS" &
	SVSCAN=$!
	trap 'svc -dx demo/service/* demo/service/.??* 2>/dev/null; svc -dx demo/service/*/log demo/service/.??*/log 2>/dev/null; kill $SVSCAN 2>/dev/null; wait 2>/dev/null || true' EXIT
	for svc in qmail smtpd pop3d; do ln -s ../services/$svc demo/service/$svc; done
	waitfor 60 allup demo/service/qmail demo/service/smtpd demo/service/pop3d \
		demo/service/qmail/log demo/service/smtpd/log demo/service/pop3d/log ||
		fail "the services did not all come up within 60 seconds."
	svstat demo/service/* demo/service/*/log
	# Each server logs a line as it starts (qmail-send its status, tcpserver
	# its 0/40): once all three are in their logdirs the loggers work.
	for svc in qmail smtpd pop3d; do
		waitfor 60 sh -c "[ -s $LOG/$svc/current ] || [ -s $ERRS ]" || true
		quiet || fail "a service or a logger failed as it started (what it said is above)."
		[ -s "$LOG/$svc/current" ] || fail "the $svc logger wrote nothing to $LOG/$svc in 60 seconds."
	done

	say "swaks: $MAILS mails to 127.0.0.1:$SMTP_PORT, 8 at a time"
	start=$(date '+%Y-%m-%d %H:%M:%S')
	i=0
	while [ $i -lt "$MAILS" ]; do
		for j in 1 2 3 4 5 6 7 8; do
			# Some mail for local mailboxes, most for remote hosts.
			case $((i % 4)) in 0) to=postmaster@example.org ;; 1) to=sales@example.com ;; 2) to=user$((i % 7))@example.net ;; *) to=info@example.com,billing@example.net ;; esac
			swaks --silent 2 --server 127.0.0.1 --port "$SMTP_PORT" --from "user$i@example.org" --to "$to" --body "mail $i" >/dev/null 2>&1 &
			i=$((i + 1))
		done
		wait_swaks=$(jobs -p | grep -v "^$SVSCAN\$" || true)
		[ -n "$wait_swaks" ] && wait $wait_swaks 2>/dev/null || true
	done
	# qmail-send logs each message's end once every recipient is done
	# (deferrals are retried a few seconds later).
	waitfor 60 sh -c "[ \$(mlog query --count 'end msg' demo/log/qmail 2>/dev/null || echo 0) -ge $MAILS ]" ||
		fail "of $MAILS mails, $(mlog query --count 'end msg' demo/log/qmail 2>/dev/null || echo 0) were delivered (end msg in demo/log/qmail) in 60 seconds."
	quiet || fail "a service or a logger failed while the mails went through."

	say "ls -l demo/log/smtpd   (@<tai64n>.s.zst: finished, compressed archives; current: being written)"
	ls -l demo/log/smtpd
	say "tail -4 demo/log/smtpd/current | tai64nlocal"
	tail -4 demo/log/smtpd/current | tai64nlocal
	say "tail -4 demo/log/qmail/current | tai64nlocal"
	tail -4 demo/log/qmail/current | tai64nlocal
	say "mlog query --since '$start' --count 'info msg' demo/log/qmail   (current and the zstd archives)"
	mlog query --since "$start" --count 'info msg' demo/log/qmail || true
	say "mlog query --since '$start' --local 'starting delivery' demo/log/qmail demo/log/smtpd | tail -3"
	mlog query --since "$start" --local 'starting delivery' demo/log/qmail demo/log/smtpd | tail -3 || true
	say "mlog query --since -1m --histogram 5s demo/log/smtpd"
	mlog query --since -1m --histogram 5s demo/log/smtpd | tail -8 || true

	say "svc -d demo/service/smtpd; svstat        (the article: stop a service)"
	svc -d demo/service/smtpd
	waitfor 60 sh -c 'svstat demo/service/smtpd | grep -q ": down "' || fail "smtpd did not go down after svc -d."
	svstat demo/service/smtpd
	say "svc -u demo/service/smtpd; svstat        (start it again)"
	svc -u demo/service/smtpd
	waitfor 60 allup demo/service/smtpd || fail "smtpd did not come up after svc -u."
	svstat demo/service/smtpd
	say "touch demo/service/smtpd/down; svstat    (stays down after a reboot)"
	touch demo/service/smtpd/down
	svstat demo/service/smtpd
	say "svc -d .../pop3d/log; mv pop3d .pop3d; svc -x .pop3d/log   (remove a service)"
	svc -d demo/service/pop3d
	svc -d demo/service/pop3d/log
	mv demo/service/pop3d demo/service/.pop3d
	svc -x demo/service/.pop3d/log
	svc -dx demo/service/.pop3d
	waitfor 60 sh -c 'svstat demo/service/.pop3d/log | grep -q "supervise not running"' ||
		fail "supervise for .pop3d/log did not exit after svc -x."
	svstat demo/service/.pop3d demo/service/.pop3d/log
	quiet || fail "a service or a logger failed during the svc commands."

	# The day's mail, as qmailanalog would tell it, straight from the logdirs.
	say "mlog qmail stats --since '$start' demo/log/qmail demo/log/smtpd"
	mlog qmail stats --since "$start" demo/log/qmail demo/log/smtpd || fail "mlog qmail stats failed."
	say "mlog qmail trace user3@example.org demo/log/qmail demo/log/smtpd"
	mlog qmail trace user3@example.org demo/log/qmail demo/log/smtpd || fail "mlog qmail trace found no message from user3@example.org."
	say "the demo worked: demo is $DEMO"
	exit 0
fi

# Fallback: a generated burst through our multilog under our svscan.
go build -o "$BIN/gensmtp" ./benchmarks/cmd/gensmtp
mkdir -p demo/service/smtpd/log
cat >demo/service/smtpd/run <<RUN
#!/bin/sh
exec 2>&1
gensmtp -size 24M -seed \$\$
exec sleep 3600
RUN
cat >demo/service/smtpd/log/run <<RUN
#!/bin/sh
exec multilog t z s4194304 n10 $LOG/smtpd
RUN
chmod +x demo/service/smtpd/run demo/service/smtpd/log/run
say "svscan demo/service   (tcpserver or swaks missing: a generated burst instead of real mail)"
svscan demo/service 2>>"$ERRS" &
SVSCAN=$!
trap 'svc -dx demo/service/smtpd demo/service/smtpd/log 2>/dev/null; kill $SVSCAN 2>/dev/null; wait 2>/dev/null || true' EXIT
last=-1
i=0
while [ $i -lt 120 ]; do
	sleep 0.5
	i=$((i + 1))
	now=$(ls -l demo/log/smtpd 2>/dev/null | md5sum)
	[ "$now" = "$last" ] && [ -s demo/log/smtpd/current ] && break
	last=$now
done
quiet || fail "the generator or its logger failed."
[ "$(lines demo/log/smtpd)" -gt 0 ] || fail "no line reached demo/log/smtpd in 60 seconds."
say "svstat demo/service/smtpd demo/service/smtpd/log"
svstat demo/service/smtpd demo/service/smtpd/log
say "ls -l demo/log/smtpd"
ls -l demo/log/smtpd
say "tail -5 demo/log/smtpd/current | tai64nlocal"
tail -5 demo/log/smtpd/current | tai64nlocal
say "mlog query --since -10m --count 'starting delivery' demo/log/smtpd"
mlog query --since -10m --count 'starting delivery' demo/log/smtpd || true
quiet || fail "the generator or its logger failed."
say "the demo worked: demo is $DEMO"
