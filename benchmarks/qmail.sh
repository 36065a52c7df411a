#!/bin/bash
# qmail.sh: mlog qmail stats over a large logdir of qmail-send's lines in
# 16 MB archives, against the shell's cheapest answer to part of the
# question:
#
#   awk   cat @* current | awk counting four numbers (messages, successes,
#         failures, deferrals): no joining, no delays, no top lists
#   classic  the classic pipeline: a tai64n2tai-style conversion of the
#         labels to epoch seconds (an awk stage: qmailanalog's tai64n2tai
#         is not packaged), then a matchup-equivalent awk that joins
#         deliveries to their starts and messages to their births, for the
#         delays (delivery delay and queue time totals), and the four numbers
#   mlog  mlog qmail stats --json (everything: joined deliveries, delays,
#         percentiles, top lists, SMTP sessions)
#   warm  mlog qmail stats --json --cumulative --cursor FILE, FILE made by
#         a run before: the same report, what a cron run costs when nothing
#         is new since the last
#   cron  the same, a cron step with CRON_MB (default 4) MB new: a copy of
#         the logdir (made afresh each time, beside the cache) whose cursor
#         was made with the last archive cut CRON_MB before its end; before
#         each timed run the rest goes back as multilog would put it
#         (appended to current, current renamed to the archive, a new
#         current), and the cursor back to where it was; the report must be
#         byte for byte the warm run's (one run over the whole logdir)
#   stage mlog query -c: reading the files, finding lines and stamps, and
#         merging, without the rest: the first stage of a cold run alone
#
# CLASSIC=0 skips the classic pipeline (a minute or more).
#
# Both must agree on the four numbers. The logdir (SIZE bytes of
# smtplog.Queue's log, tcpserver's lines beside qmail-send's, written
# through our multilog s16777215) is made once and cached in
# benchmarks/data/ (gitignored). Runs are interleaved; medians of wall
# time are printed, with the ratio, and the CPU time (user+sys) of each
# run's last round.
#
# Usage: benchmarks/qmail.sh          SIZE=2G RUNS=5 to change (default 512M, 3)
#
# Measured 2026-12-06 03:00 UTC, SIZE=2G RUNS=5 CLASSIC=0, on the 2-core
# development VM shared with other sessions (load 1.1 at the start, 1.6
# before the CPU runs), with the cumulative cursor's tables sorted in the
# file and merged in place:
#
#   logdir: 2.1G in 128 archives; messages successes failures deferrals: 1762531 2300924 236883 412110
#   cat | awk (4 numbers)         5.807 s
#   mlog qmail stats (all)        6.769 s    0.86x the awk pipeline
#   mlog, warm: nothing new       0.046 s    127.19x the awk pipeline
#   mlog, cron: 4.0 MB new        0.391 s    14.87x the awk pipeline
#   stage: mlog query -c          1.543 s    (reading, lines, stamps: the first stage alone)
#   cpu, cat | awk:                    5.600 s wall, 4.081 s user, 2.457 s sys
#   cpu, mlog qmail stats:             8.755 s wall, 12.588 s user, 2.090 s sys
#   cpu, mlog, warm (nothing new):     0.044 s wall, 0.041 s user, 0.024 s sys
#   cpu, mlog, cron (4 MB new):        0.421 s wall, 0.185 s user, 0.100 s sys
#   cpu, mlog query -c:                1.650 s wall, 1.327 s user, 0.349 s sys
#
# (the five runs: awk 5.3 to 6.8 s, warm 0.041 to 0.051 s, cron 0.37 to
# 0.63 s.) A cron run with a cumulative cursor (the whole day's report)
# runs over 100 times faster than the awk count with nothing new (it reads
# the cursor's head and does not write it) and about 15 times faster with
# 4 MB new (one pass over the 79 MB cursor for the report, then a copy of
# it with the merge's edits, fsynced). Before (00:05 UTC, load 3 to 6, the
# cursor's tables rebuilt as hash tables each run) the warm run took
# 3.6 s, 2.2 times faster than the awk count's 8.0 s; the classic pipeline
# took 66.9 s (one run), a cold mlog run 12.0 s. A cold mlog run takes
# about the awk count's wall time to 1.5 times it and twice its CPU: the
# issue's 10x is not met cold; see docs/qmail.md, "Speed".
set -eu
cd "$(dirname "$0")/.."
SIZE=${SIZE:-512M}
RUNS=${RUNS:-3}
DATA=benchmarks/data
export TZ=UTC LC_ALL=C
mkdir -p "$DATA"
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$DATA/mlog" ./cmd/mlog
go build -o "$DATA/gensmtp" ./benchmarks/cmd/gensmtp
MLOG=$PWD/$DATA/mlog

# The cache's name changes with the generator's output (GEN).
GEN=1
D=$DATA/qmail-$SIZE-g$GEN
if [ ! -d "$D" ]; then
  echo "making $D ..." >&2
  rm -rf "$D.tmp"
  "$DATA/gensmtp" -queue -stamp -size "$SIZE" | "$MLOG" multilog s16777215 n100000 "./$D.tmp"
  mv "$D.tmp" "$D"
fi
D=$PWD/$D

awk4() {
  (cd "$D" && cat @* current | awk '
    $2 == "new" && $3 == "msg" { m++ }
    $2 == "delivery" { if ($4 == "success:") s++; else if ($4 == "failure:") f++; else if ($4 == "deferral:") d++ }
    END { print m + 0, s + 0, f + 0, d + 0 }')
}
classic() {
  (cd "$D" && cat @* current | awk '
    BEGIN { for (i = 0; i < 16; i++) H[substr("0123456789abcdef", i + 1, 1)] = i }
    function hex(s,   i, n) { n = 0; for (i = 1; i <= length(s); i++) n = n * 16 + H[substr(s, i, 1)]; return n }
    # tai64n2tai: the label to epoch seconds (the low 32 bits of the seconds
    # suffice until 2106; the label counts 10 s ahead of Unix time).
    substr($0, 1, 1) == "@" { $1 = sprintf("%d.%09d", hex(substr($1, 10, 8)) - 10, hex(substr($1, 18, 8))) }
    { print }' | awk '
    $2 == "new" && $3 == "msg" { m++; born[$4] = $1 }
    $2 == "end" && $3 == "msg" { if ($4 in born) { q += $1 - born[$4]; nq++; delete born[$4] } }
    $2 == "starting" && $3 == "delivery" { d = $4; sub(":", "", d); start[d] = $1 }
    $2 == "delivery" {
      d = $3; sub(":", "", d)
      if ($4 == "success:") s++; else if ($4 == "failure:") f++; else if ($4 == "deferral:") df++
      if (d in start) { dl += $1 - start[d]; nd++; delete start[d] }
    }
    $2 == "status:" && $3 == "exiting" { for (k in start) delete start[k] }
    END { print m + 0, s + 0, f + 0, df + 0 }')
}
OUT=$DATA/qmail-out
mkdir -p "$OUT"
rm -f "$OUT"/*.times
CURSOR=$PWD/$DATA/qmail-out.cursor
rm -f "$CURSOR"
"$MLOG" qmail stats --json --cumulative --cursor "$CURSOR" "$D" >"$OUT/full.json"

# The cron case. Copies, not links: rotate refuses to compress an archive
# with a second link.
CRON_MB=${CRON_MB:-4}
C=$DATA/qmail-cron
rm -rf "$C"
mkdir "$C"
L=$(cd "$D" && ls | grep '^@' | tail -1)
for f in $(cd "$D" && ls | grep '^@' | grep -vxF "$L"); do cp -p "$D/$f" "$C/"; done
N=$(head -c "$(($(stat -c %s "$D/$L") - CRON_MB * 1048576))" "$D/$L" | tr -dc '\n' | wc -c)
N=$(head -n "$N" "$D/$L" | wc -c) # a line boundary
head -c "$N" "$D/$L" >"$C/current"
CCURSOR=$PWD/$DATA/qmail-cron.cursor
rm -f "$CCURSOR"
"$MLOG" qmail stats --cumulative --cursor "$CCURSOR" "$C" >/dev/null
cp "$CCURSOR" "$CCURSOR.before"
cron_reset() {
  if [ -f "$C/$L" ]; then
    rm -f "$C/current"
    mv "$C/$L" "$C/current"
    truncate -s "$N" "$C/current"
  fi
  cp "$CCURSOR.before" "$CCURSOR"
  tail -c +$((N + 1)) "$D/$L" >>"$C/current"
  mv "$C/current" "$C/$L"
  cp "$D/current" "$C/current"
}
cron() { "$MLOG" qmail stats --json --cumulative --cursor "$CCURSOR" "$C"; }
warm() {
  "$MLOG" qmail stats --json --cumulative --cursor "$CURSOR" "$D" | awk -F'[:,]' '
    $1 == "  \"messages\"" { m = $2 + 0 } $1 == "  \"success\"" { s = $2 + 0 }
    $1 == "  \"failure\"" { f = $2 + 0 } $1 == "  \"deferral\"" { d = $2 + 0 }
    END { print m, s, f, d }'
}
# The first stage alone: reading the files, finding lines and stamps,
# merging (mlog query -c counts the lines and prints nothing else).
read1() { "$MLOG" query -c "$D"; }
mlog4() {
  "$MLOG" qmail stats --json "$D" | awk -F'[:,]' '
    $1 == "  \"messages\"" { m = $2 + 0 } $1 == "  \"success\"" { s = $2 + 0 }
    $1 == "  \"failure\"" { f = $2 + 0 } $1 == "  \"deferral\"" { d = $2 + 0 }
    END { print m, s, f, d }'
}

timeit() {
  local t0=${EPOCHREALTIME/./}
  "$1" >"$OUT/$1.out"
  local t1=${EPOCHREALTIME/./}
  echo "$((t1 - t0))" >>"$OUT/$1.times"
}
cat "$D"/* >/dev/null # the page cache: a logdir in memory
echo "load at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
i=0
while [ $i -lt "$RUNS" ]; do
  timeit awk4
  timeit mlog4
  timeit read1
  [ $i -eq 0 ] && [ "${CLASSIC:-1}" = 1 ] && timeit classic
  timeit warm
  cron_reset
  timeit cron
  i=$((i + 1))
done
cmp -s "$OUT/full.json" "$OUT/cron.out" || { echo "qmail.sh: the cron run's report differs from one run's" >&2; exit 1; }
cmp -s "$OUT/awk4.out" "$OUT/warm.out" || { echo "qmail.sh: the warm run's counts differ: $(cat "$OUT/warm.out")" >&2; exit 1; }
[ "${CLASSIC:-1}" = 0 ] || cmp -s "$OUT/awk4.out" "$OUT/classic.out" || { echo "qmail.sh: the classic pipeline's counts differ: $(cat "$OUT/classic.out")" >&2; exit 1; }
cmp -s "$OUT/awk4.out" "$OUT/mlog4.out" || { echo "qmail.sh: the counts differ: awk $(cat "$OUT/awk4.out"), mlog $(cat "$OUT/mlog4.out")" >&2; exit 1; }
median() { sort -n "$OUT/$1.times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
a=$(median awk4)
m=$(median mlog4)
c=$(median classic 2>/dev/null || echo 0)
w=$(median warm)
n=$(median cron)
r=$(median read1)
echo "logdir: $(du -sh "$D/" | cut -f1) in $(ls "$D" | grep -c '^@') archives; messages successes failures deferrals: $(cat "$OUT/awk4.out")"
awk -v a="$a" -v m="$m" -v c="$c" -v w="$w" -v n="$n" -v r="$r" -v mb="$((($(stat -c %s "$D/$L") - N + $(stat -c %s "$D/current")) / 1024))" 'BEGIN {
  printf "cat | awk (4 numbers)      %8.3f s\n", a / 1e6
  printf "classic (tai2tai, matchup) %8.3f s    (one run)\n", c / 1e6
  printf "mlog qmail stats (all)     %8.3f s    %.2fx the awk pipeline, %.2fx the classic one\n", m / 1e6, a / m, c / m
  printf "mlog, warm: nothing new    %8.3f s    %.2fx the awk pipeline\n", w / 1e6, a / w
  printf "mlog, cron: %.1f MB new     %8.3f s    %.2fx the awk pipeline\n", mb / 1024, n / 1e6, a / n
  printf "stage: mlog query -c       %8.3f s    (reading, lines, stamps: the first stage alone)\n", r / 1e6
}'
# CPU: one more run of each under bash's time.
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
TIMEFORMAT='%3R s wall, %3U s user, %3S s sys'
echo "cpu, cat | awk:"; { time awk4 >/dev/null; } 2>&1
echo "cpu, mlog qmail stats:"; { time mlog4 >/dev/null; } 2>&1
echo "cpu, mlog, warm (nothing new):"; { time warm >/dev/null; } 2>&1
cron_reset
echo "cpu, mlog, cron ($CRON_MB MB new):"; { time cron >/dev/null; } 2>&1
echo "cpu, mlog query -c:"; { time read1 >/dev/null; } 2>&1
[ "${CLASSIC:-1}" = 0 ] || { echo "cpu, classic:"; { time classic >/dev/null; } 2>&1; }
rm -rf "$C" "$CCURSOR" "$CCURSOR.before" "$CCURSOR.lock"
