package qmail

import (
	"context"
	"os"
	"testing"
)

// BenchmarkCollectLogdir runs stats over the logdir MLOG_BENCH_QMAIL_LOGDIR
// names (benchmarks/qmail.sh makes one).
func BenchmarkCollectLogdir(b *testing.B) {
	dir := os.Getenv("MLOG_BENCH_QMAIL_LOGDIR")
	if dir == "" {
		b.Skip("set MLOG_BENCH_QMAIL_LOGDIR to a logdir of qmail-send's lines (benchmarks/qmail.sh makes one)")
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := Collect(context.Background(), Config{}, []string{dir})
		if err != nil {
			b.Fatal(err)
		}
		if s.Messages == 0 {
			b.Fatal("no messages")
		}
	}
}

// BenchmarkCollectLogdirWarm: a cumulative cursor run over the same
// logdir with nothing new: what a cron run costs beyond its new lines.
func BenchmarkCollectLogdirWarm(b *testing.B) {
	dir := os.Getenv("MLOG_BENCH_QMAIL_LOGDIR")
	if dir == "" {
		b.Skip("set MLOG_BENCH_QMAIL_LOGDIR to a logdir of qmail-send's lines (benchmarks/qmail.sh makes one)")
	}
	path := os.Getenv("MLOG_BENCH_QMAIL_CURSOR") // made by an earlier run, to profile warm runs only
	if path == "" {
		path = b.TempDir() + "/cursor"
	}
	run := func() {
		st, err := LoadState(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Collect(context.Background(), Config{State: st, Cumulative: true}, []string{dir}); err != nil {
			b.Fatal(err)
		}
		if err := SaveState(path, st); err != nil {
			b.Fatal(err)
		}
	}
	run()
	b.ReportAllocs()
	for b.Loop() {
		run()
	}
}
