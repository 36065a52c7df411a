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
