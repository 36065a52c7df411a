package tai64

import (
	"bytes"
	"io"
	"os"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	in := []byte("@4000000037c219bf2ef02e94 hello")
	b.ReportAllocs()
	b.SetBytes(LabelLen)
	for b.Loop() {
		if _, _, err := Parse(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	t := Time{0x4000000037c219bf, 0x2ef02e94}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	b.SetBytes(LabelLen)
	for b.Loop() {
		buf = t.Append(buf[:0])
	}
}

// BenchmarkAppendLine converts lines one second apart, so each line
// breaks the date down afresh; BenchmarkAppendLineSameSecond hits the
// second cache, as most lines of a busy log do.
func BenchmarkAppendLine(b *testing.B) {
	benchAppendLine(b, logText(1024))
}

func BenchmarkAppendLineSameSecond(b *testing.B) {
	var in []byte
	for i := range 1024 {
		in = FromUnix(1700000000, int32(i)*1000+500).Append(in)
		in = append(in, " info msg 123456: bytes 2391 from <alice@example.org> qp 4242 uid 89\n"...)
	}
	benchAppendLine(b, in)
}

func benchAppendLine(b *testing.B, text []byte) {
	lines := bytes.SplitAfter(text, []byte("\n"))
	lines = lines[:len(lines)-1]
	l := NewLocalizer(LocalConfig{Zone: mustLoad(b, "America/Los_Angeles")})
	out := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.SetBytes(int64(len(lines[0])))
	i := 0
	for b.Loop() {
		out = l.AppendLine(out[:0], lines[i%len(lines)])
		i++
	}
}

// BenchmarkLocalLines converts a busy log, lines about 3 ms apart;
// BenchmarkLocalLinesNewSecond a log with a new second on every line.
func BenchmarkLocalLines(b *testing.B) {
	var in []byte
	for i := range 50000 {
		in = FromUnix(1700000000+int64(i)/300, int32(i%300)*3333000+500).Append(in)
		in = append(in, " info msg 123456: bytes 2391 from <alice@example.org> qp 4242 uid 89\n"...)
	}
	benchLocalLines(b, in)
}

func BenchmarkLocalLinesNewSecond(b *testing.B) { benchLocalLines(b, logText(50000)) }

func benchLocalLines(b *testing.B, in []byte) {
	cfg := LocalConfig{Zone: mustLoad(b, "America/Los_Angeles")}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := LocalLines(io.Discard, bytes.NewReader(in), cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStampLines(b *testing.B) {
	var in []byte
	for range 50000 {
		in = append(in, "info msg 123456: bytes 2391 from <alice@example.org> qp 4242 uid 89\n"...)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := StampLines(io.Discard, bytes.NewReader(in), StampConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLocalLinesFile converts the file TAI64_BENCH_FILE names, such
// as benchmarks/data/smtp-32M.stamped made by benchmarks/tai64.sh.
func BenchmarkLocalLinesFile(b *testing.B) {
	name := os.Getenv("TAI64_BENCH_FILE")
	if name == "" {
		b.Skip("TAI64_BENCH_FILE not set")
	}
	in, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	benchLocalLines(b, in)
}
