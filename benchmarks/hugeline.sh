#!/bin/sh
# hugeline.sh: one line of 1 GiB with no newline through our multilog (t,
# a pattern, s16777215) and daemontools': peak resident memory, and that the
# line is cut hard at s, file after file, with nothing lost.
#
#   benchmarks/hugeline.sh            SIZE=1073741824 to change (bytes)
set -eu
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1073741824}
make -s build >/dev/null
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mlog-huge.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
echo "one line of $SIZE bytes, no newline, through multilog t -*x s16777215 n1000 ($(date -u +%F))"
printf '%-26s %12s %12s %8s\n' program peak-RSS-kB logged-bytes files-not-s
for prog in "$PWD/bin/multilog" /usr/bin/multilog; do
	[ -x "$prog" ] || continue
	rm -rf "$WORK/d"
	rss=$(head -c "$SIZE" /dev/zero | tr '\0' y |
		/usr/bin/time -f %M "$prog" t '-*x' s16777215 n1000 "$WORK/d" 2>&1 >/dev/null | tail -1)
	logged=$(cat "$WORK"/d/@* "$WORK/d/current" | wc -c)
	odd=$(for f in "$WORK"/d/@*; do [ "$(stat -c %s "$f")" = 16777215 ] || echo "$f"; done | wc -l)
	printf '%-26s %12s %12s %8s\n' "$prog" "$rss" "$logged" "$odd"
done
echo "want: logged = $SIZE + 26 (one stamp) + 1 (the newline added at the end); files-not-s 0"
