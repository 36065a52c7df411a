package query

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/mlog/mlog/tai64"
)

// benchDir is a logdir made by benchmarks/query.sh, if there is one:
//
//	MLOG_BENCH_LOGDIR_PLAIN=$PWD/benchmarks/data/plain-30-g2 MLOG_BENCH_LOGDIR_ZSTD=$PWD/benchmarks/data/zstd-30-g2 \
//	MLOG_BENCH_DAYS=30 go test -run '^$' -bench Hour ./query
func benchDir(b *testing.B, kind string) string {
	d := os.Getenv("MLOG_BENCH_LOGDIR_" + kind)
	if d == "" {
		b.Skip("set MLOG_BENCH_LOGDIR_" + kind + " to a logdir made by benchmarks/cmd/mklogdir (benchmarks/query.sh makes them)")
	}
	return d
}

// benchHour is 14:00 UTC on 2026-01-02, inside every generated logdir.
var benchHour = tai64.FromTime(time.Date(2026, 1, 2, 14, 0, 0, 0, time.UTC))

// benchHour30 is the hour benchmarks/query.sh extracts from its 30-day logdir.
var benchHour30 = tai64.FromTime(time.Date(2026, 1, 16, 14, 0, 0, 0, time.UTC))

func benchmarkHour(b *testing.B, kind string, format Format) {
	dir := benchDir(b, kind)
	hour := benchHour
	if os.Getenv("MLOG_BENCH_DAYS") == "30" {
		hour = benchHour30
	}
	cfg := Config{Since: hour, Until: tai64.Time{Sec: hour.Sec + 3600}, Format: format}
	b.ReportAllocs()
	for b.Loop() {
		st, err := Run(context.Background(), cfg, []string{dir}, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if st.Matched == 0 {
			b.Fatal("no lines")
		}
	}
}

func BenchmarkHourPlainRaw(b *testing.B)   { benchmarkHour(b, "PLAIN", Raw) }
func BenchmarkHourPlainLocal(b *testing.B) { benchmarkHour(b, "PLAIN", Local) }
func BenchmarkHourZstdLocal(b *testing.B)  { benchmarkHour(b, "ZSTD", Local) }
