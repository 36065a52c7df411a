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
#         a run before: the same report, what a cron run costs beyond the
#         lines new since the last (here none)
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
# Measured 2026-12-06 00:05 UTC, SIZE=2G RUNS=5, on the 2-core development
# VM shared with other sessions (load 5.7 at the start, 3.3 before the CPU
# runs; above 11 minutes later, so wall times move by a third from run to
# run):
#
#   logdir: 2.1G in 128 archives; messages successes failures deferrals: 1762531 2300924 236883 412110
#   cat | awk (4 numbers)         8.008 s
#   classic (tai2tai, matchup)   66.853 s    (one run)
#   mlog qmail stats (all)       12.008 s    0.67x the awk pipeline, 5.57x the classic one
#   mlog, warm cumulative         3.569 s    2.24x the awk pipeline
#   stage: mlog query -c          1.978 s    (reading, lines, stamps: the first stage alone)
#   cpu, cat | awk:             8.366 s wall,  4.921 s user,  3.466 s sys
#   cpu, mlog qmail stats:     11.230 s wall, 13.224 s user,  2.408 s sys
#   cpu, mlog, warm cumulative: 3.315 s wall,  1.556 s user,  2.075 s sys
#   cpu, mlog query -c:         1.618 s wall,  1.250 s user,  0.351 s sys
#   cpu, classic:              73.483 s wall, 61.348 s user, 12.619 s sys
#
# (the five runs: awk 6.9 to 10.2 s, mlog 9.0 to 13.0 s, warm 3.0 to 5.6 s.)
# Two more rounds of the final code, CLASSIC=0: at 00:23 (load 16.7 at the
# start, RUNS=5) awk 8.6 s, mlog 14.8 s (0.58x), warm 5.3 s (1.62x), query
# -c 2.7 s; at 00:27 (load 5.5 to 9.5, RUNS=3) awk 12.8 s, mlog 12.0 s
# (1.07x), warm 3.5 s (3.67x), query -c 1.6 s, and in the CPU runs awk
# 6.7 s wall (7.3 CPU-s), mlog 6.6 s wall (10.5 CPU-s).
# A cold mlog run (every join, delay, percentile and top list) takes about
# 1.5 times the awk count's wall time and twice its CPU, a fifth of the
# classic pipeline's wall time; a warm cumulative cron run (the whole day's
# report, nothing new to read) runs 2.2 times faster than the awk count.
# The issue's 10x is not met, cold or warm: see docs/qmail.md, "Speed", for
# where the time goes. Before this round (2026-12-05, 512M, load 13 to 16)
# a cold run took 5.2 to 5.9 CPU-s per 512 MB, about 22 per 2 GiB.
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
CURSOR=$PWD/$DATA/qmail-out.cursor
rm -f "$CURSOR"
"$MLOG" qmail stats --cumulative --cursor "$CURSOR" "$D" >/dev/null
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

OUT=$DATA/qmail-out
mkdir -p "$OUT"
rm -f "$OUT"/*.times
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
  i=$((i + 1))
done
cmp -s "$OUT/awk4.out" "$OUT/warm.out" || { echo "qmail.sh: the warm run's counts differ: $(cat "$OUT/warm.out")" >&2; exit 1; }
[ "${CLASSIC:-1}" = 0 ] || cmp -s "$OUT/awk4.out" "$OUT/classic.out" || { echo "qmail.sh: the classic pipeline's counts differ: $(cat "$OUT/classic.out")" >&2; exit 1; }
cmp -s "$OUT/awk4.out" "$OUT/mlog4.out" || { echo "qmail.sh: the counts differ: awk $(cat "$OUT/awk4.out"), mlog $(cat "$OUT/mlog4.out")" >&2; exit 1; }
median() { sort -n "$OUT/$1.times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
a=$(median awk4)
m=$(median mlog4)
c=$(median classic 2>/dev/null || echo 0)
w=$(median warm)
r=$(median read1)
echo "logdir: $(du -sh "$D" | cut -f1) in $(ls "$D" | grep -c '^@') archives; messages successes failures deferrals: $(cat "$OUT/awk4.out")"
awk -v a="$a" -v m="$m" -v c="$c" -v w="$w" -v r="$r" 'BEGIN {
  printf "cat | awk (4 numbers)      %8.3f s\n", a / 1e6
  printf "classic (tai2tai, matchup) %8.3f s    (one run)\n", c / 1e6
  printf "mlog qmail stats (all)     %8.3f s    %.2fx the awk pipeline, %.2fx the classic one\n", m / 1e6, a / m, c / m
  printf "mlog, warm cumulative      %8.3f s    %.2fx the awk pipeline\n", w / 1e6, a / w
  printf "stage: mlog query -c       %8.3f s    (reading, lines, stamps: the first stage alone)\n", r / 1e6
}'
# CPU: one more run of each under bash's time.
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
TIMEFORMAT='%3R s wall, %3U s user, %3S s sys'
echo "cpu, cat | awk:"; { time awk4 >/dev/null; } 2>&1
echo "cpu, mlog qmail stats:"; { time mlog4 >/dev/null; } 2>&1
echo "cpu, mlog, warm cumulative:"; { time warm >/dev/null; } 2>&1
echo "cpu, mlog query -c:"; { time read1 >/dev/null; } 2>&1
[ "${CLASSIC:-1}" = 0 ] || { echo "cpu, classic:"; { time classic >/dev/null; } 2>&1; }
