#!/bin/sh
# chart.sh MEDIANS: the multilog throughput chart (benchmarks/multilog.svg)
# from benchmarks/multilog.sh's medians, one "name|MB/s|intake" a line: one
# bar per program, in two groups, one big archive (s16777215) and the
# default small ones (s99999), each longest first.
#
#   benchmarks/chart.sh medians >benchmarks/multilog.svg
set -eu
{
	grep -v s99999 "$1" | sort -t'|' -k2 -rn
	grep s99999 "$1" | sort -t'|' -k2 -rn
} | awk -F'|' '
BEGIN { h = 28; w = 560; left = 260 }
{
	n = NR
	small = ($1 ~ /s99999/)
	if (small && !seen) { gap = n; seen = 1 }
	name[n] = $1; v[n] = $2; if ($2 > max) max = $2
}
END {
	head = 30; sep = gap ? 34 : 0
	H = n * h + head + sep + 2 * 24 + 20
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n", left + w + 80, H
	printf "<text x=\"10\" y=\"20\" font-weight=\"bold\">multilog throughput, MB/s (higher is better)</text>\n"
	y = head
	for (i = 1; i <= n; i++) {
		if (i == 1 || i == gap) {
			if (i == gap) y += sep - 24
			printf "<text x=\"10\" y=\"%d\" font-style=\"italic\">%s</text>\n", y + 18, (i == gap) ? "default archive size: s99999 n10 (one fsync\x27d archive every 100 kB)" : "one big archive: s16777215 n10"
			y += 24
		}
		bw = (max > 0) ? v[i] / max * w : 0
		col = (name[i] ~ /^(mlog|base)/) ? "#2b7bb9" : (name[i] ~ /^cat/ ? "#999999" : "#d9822b")
		printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 8, y + 17, name[i]
		printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", left, y + 4, bw, h - 8, col
		printf "<text x=\"%.1f\" y=\"%d\">%.0f</text>\n", left + bw + 6, y + 17, v[i]
		y += h
	}
	print "</svg>"
}'
