// Package benchmarks holds whole-process comparisons of mlog with
// daemontools, s6 and runit: the shell scripts beside it (multilog.sh,
// tai64.sh, query.sh, kill.sh, load.sh, supervise-rss.sh, compare.sh) and
// [Multilog], which `mlog bench` runs. Go micro-benchmarks live beside the
// code they measure.
package benchmarks
