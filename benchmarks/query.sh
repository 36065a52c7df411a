#!/bin/bash
# query.sh: one hour out of a month of rotated logs, three ways.
#
#   naive  cat @*.s current | tai64nlocal | grep '^HOUR'         (reads everything)
#   tuned  pick archives by name, awk on the raw label with an early exit,
#          then tai64nlocal on what is left                     (the best shell)
#   mlog   mlog query --local --since ... --until ...
#
# and the same hour out of zstd archives (zstdcat for the naive pipeline).
# The logdirs (about 2 GB plain, 30 days of 30k lines an hour in
# 16 MB archives) are made once by benchmarks/cmd/mklogdir and cached in
# benchmarks/data/ (gitignored). Runs are interleaved; medians are printed,
# with ratios. Every way's output must be byte-identical.
#
# Usage: benchmarks/query.sh            RUNS=11 NAIVE_RUNS=3 DAYS=30 CGO=1 to change
#
# Measured 2026-11-24 on the 2-core development VM with other developers'
# tests and benchmarks running (load 1.4 to 2.4), static build, TZ=UTC,
# medians of 11 runs (3 naive):
#
#   logdir: 1.9G plain (118 archives), 319M zstd; 30 days; hour 2026-01-16 14:00..2026-01-16 15:00 UTC: 29868 lines
#   naive pipeline             18.191 s
#   hand-tuned shell            0.094 s
#   mlog query                  0.025 s      731x naive    3.8x tuned
#   naive pipeline, zstd       18.720 s
#   mlog query, zstd            0.082 s      222x naive (plain)     228x naive (zstd)
#
# The same way interleaved with the build before the start-up work of
# issue 5 (21 runs each): shell 0.090 s, mlog query 0.027 s before and
# 0.024 s after (3.3x and 3.8x). The first measurement (2026-11-23, load 1
# to 12) was shell 0.128 s, mlog query 0.034 s (3.7x).
#
# Where mlog query's time goes, medians of 150 interleaved runs through a
# Go fork/exec with stdout to a file, load about 1.3: /bin/true 3.2 ms, an
# empty Go program 6.5 ms, "mlog version" 12.6 ms (the runtime, the
# package inits of everything mlog links: cobra, pflag with net,
# klauspost/compress with crypto, and their first page faults, about 16 us
# each on this VM), a binary holding only package query 14.9 ms, mlog query
# 17.4 ms (20.4 ms before). Inside the process, main to the search takes
# 0.5 ms and the search 5 ms (3.1 ms in a warm loop: go test -bench Hour).
# So 10x the shell (9.4 ms) is out of reach here even for a binary holding
# only package query; an empty Go program takes 6.5 ms of it.
#
# With CGO=1 (the default, dynamically linked build) mlog query takes about
# 10 ms more.
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
NAIVE_RUNS=${NAIVE_RUNS:-3}
DAYS=${DAYS:-30}
DATA=benchmarks/data
export TZ=UTC LC_ALL=C

command -v tai64nlocal >/dev/null || { echo "query.sh: tai64nlocal (daemontools) not found" >&2; exit 111; }
command -v zstdcat >/dev/null || { echo "query.sh: zstdcat not found" >&2; exit 111; }
mkdir -p "$DATA"
# The binary is built as make builds it, but static: pflag imports net, so a
# default build links the cgo resolver and libc dynamically, which costs a
# few milliseconds of start-up on every run, a third of a query's time.
# CGO=1 benchmarks the default build instead.
CGO_ENABLED=${CGO:-0} go build -trimpath -ldflags '-s -w' -o "$DATA/mlog" ./cmd/mlog
go build -o "$DATA/mklogdir" ./benchmarks/cmd/mklogdir
MLOG=$PWD/$DATA/mlog

# The cache's name changes with the generator's output (GEN).
GEN=2
for kind in plain zstd; do
  d=$DATA/$kind-$DAYS-g$GEN
  if [ ! -d "$d" ]; then
    echo "making $d ..." >&2
    c=none; [ "$kind" = zstd ] && c=zstd
    rm -rf "$d.tmp"
    "$DATA/mklogdir" -dir "$d.tmp" -days "$DAYS" -compress "$c"
    mv "$d.tmp" "$d"
  fi
done
PLAIN=$PWD/$DATA/plain-$DAYS-g$GEN
ZSTD=$PWD/$DATA/zstd-$DAYS-g$GEN

# The hour: the middle of the data, 14:00 on day DAYS/2.
start=1767225600
s=$((start + DAYS / 2 * 86400 + 14 * 3600))
u=$((s + 3600))
DAY=$(date -u -d "@$s" +%Y-%m-%d)
SINCE="$DAY 14:00"
UNTIL="$DAY 15:00"
HOUR="^$DAY 14:"
S=$(printf '@%016x%08x' $((0x400000000000000a + s)) 0)
U=$(printf '@%016x%08x' $((0x400000000000000a + u)) 0)

naive() { (cd "$PLAIN" && cat @*.s current | tai64nlocal | grep "$HOUR"); }
tuned() {
  (cd "$PLAIN" &&
    files=$(ls | awk -v s="$S" -v u="$U" '/^@/ && $0 >= s { print; if ($0 >= u) { done = 1; exit } } END { if (!done) print "current" }') &&
    cat $files | awk -v s="$S" -v u="$U" '{ l = substr($0, 1, 25) } l >= u { exit } l >= s' | tai64nlocal)
}
mlogq() { "$MLOG" query --local --since "$SINCE" --until "$UNTIL" "$PLAIN"; }
znaive() { (cd "$ZSTD" && { zstdcat @*.s.zst; cat current; } | tai64nlocal | grep "$HOUR"); }
zmlog() { "$MLOG" query --local --since "$SINCE" --until "$UNTIL" "$ZSTD"; }

OUT=$DATA/out
mkdir -p "$OUT"
# timeit NAME: run NAME once, append the microseconds to $OUT/NAME.times.
# The clock is bash's EPOCHREALTIME: no fork, so it costs nothing next to
# a 10 ms run.
timeit() {
  local t0=${EPOCHREALTIME/./}
  "$1" >"$OUT/$1.out"
  local t1=${EPOCHREALTIME/./}
  echo "$((t1 - t0))" >>"$OUT/$1.times"
}
rm -f "$OUT"/*.times
# Warm the page cache: the figures are for a logdir in memory, as a
# recently written one is.
cat "$PLAIN"/* "$ZSTD"/* >/dev/null

i=0
while [ $i -lt "$RUNS" ]; do
  if [ $i -lt "$NAIVE_RUNS" ]; then timeit naive; timeit znaive; fi
  timeit tuned; timeit mlogq; timeit zmlog
  i=$((i + 1))
done

for n in tuned mlogq znaive zmlog; do
  cmp -s "$OUT/naive.out" "$OUT/$n.out" || { echo "query.sh: $n output differs from naive's" >&2; exit 1; }
done

median() { sort -n "$OUT/$1.times" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mn=$(median naive); mt=$(median tuned); mq=$(median mlogq); zn=$(median znaive); zq=$(median zmlog)
lines=$(wc -l <"$OUT/naive.out")
size=$(du -sh "$PLAIN" | cut -f1); zsize=$(du -sh "$ZSTD" | cut -f1)
narch=$(ls "$PLAIN" | grep -c '^@')
echo "logdir: $size plain ($narch archives), $zsize zstd; $DAYS days; hour $SINCE..$UNTIL UTC: $lines lines"
echo "medians of $RUNS runs ($NAIVE_RUNS for naive), warm page cache, $(nproc) cores:"
awk -v mn="$mn" -v mt="$mt" -v mq="$mq" -v zn="$zn" -v zq="$zq" 'BEGIN {
  printf "  naive pipeline         %10.3f s\n", mn / 1e6
  printf "  hand-tuned shell       %10.3f s\n", mt / 1e6
  printf "  mlog query             %10.3f s   %6.0fx naive  %5.1fx tuned\n", mq / 1e6, mn / mq, mt / mq
  printf "  naive pipeline, zstd   %10.3f s\n", zn / 1e6
  printf "  mlog query, zstd       %10.3f s   %6.0fx naive (plain)  %6.0fx naive (zstd)\n", zq / 1e6, mn / zq, zn / zq
}'
