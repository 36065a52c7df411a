package tai64

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// tickClock returns a clock that moves on by one second at each reading,
// from 2025-06-01 12:00:00.123456789 UTC, and counts its readings.
func tickClock() (func() time.Time, *int) {
	n := new(int)
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)
	return func() time.Time {
		t := t0.Add(time.Duration(*n) * time.Second)
		*n++
		return t
	}, n
}

// chunkReader returns its chunks one per read.
type chunkReader struct{ chunks []string }

func (r *chunkReader) Read(b []byte) (int, error) {
	if len(r.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(b, r.chunks[0])
	r.chunks[0] = r.chunks[0][n:]
	if r.chunks[0] == "" {
		r.chunks = r.chunks[1:]
	}
	return n, nil
}

// stampModel labels the lines of chunks as tai64n does with tickClock:
// a line gets the reading taken at the read that brought its first byte.
func stampModel(chunks []string, tai bool) string {
	now, _ := tickClock()
	var out []byte
	atStart := true
	for _, c := range chunks {
		t := Stamp(now())
		if tai {
			t = t.ToTAI()
		}
		for _, b := range []byte(c) {
			if atStart {
				out = append(t.Append(out), ' ')
			}
			out = append(out, b)
			atStart = b == '\n'
		}
	}
	return string(out)
}

func TestStampLinesChunks(t *testing.T) {
	tests := []struct {
		name   string
		chunks []string
	}{
		{"empty", nil},
		{"one line", []string{"hello\n"}},
		{"two lines one read", []string{"a\nb\n"}},
		{"line across reads", []string{"ab", "cd\nef", "\n"}},
		{"partial last line", []string{"a\n", "b"}},
		{"empty lines", []string{"\n\n", "\n"}},
		{"newline ends read", []string{"a\n", "b\n", "c"}},
		{"NUL and CR", []string{"\x00\r\n\xff", "\r\n"}},
		// Each chunk fits in one read of the default buffer.
		{"long line", []string{strings.Repeat("x", 100<<10), strings.Repeat("x", 100<<10), "x\n" + strings.Repeat("y", 1000)}},
	}
	for _, tc := range tests {
		for _, tai := range []bool{false, true} {
			t.Run(tc.name, func(t *testing.T) {
				want := stampModel(tc.chunks, tai)
				now, _ := tickClock()
				var out bytes.Buffer
				r := &chunkReader{append([]string(nil), tc.chunks...)}
				if err := StampLines(&out, r, StampConfig{Now: now, TAI: tai}); err != nil {
					t.Fatal(err)
				}
				if out.String() != want {
					t.Errorf("StampLines(%s) =\n%q, want\n%q", trim(fmt.Sprintf("%q", tc.chunks)), trim(out.String()), trim(want))
				}
			})
		}
	}
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// maskLabels replaces the 24 hex digits of every label at a line start.
func maskLabels(t *testing.T, out string) string {
	t.Helper()
	lines := strings.SplitAfter(out, "\n")
	for i, l := range lines {
		if l == "" {
			continue
		}
		if _, _, err := Parse([]byte(l)); err != nil || len(l) < LabelLen+1 || l[LabelLen] != ' ' {
			t.Fatalf("line %d %q does not start with a label and a space", i, l)
		}
		lines[i] = "@" + strings.Repeat("x", 24) + l[LabelLen:]
	}
	return strings.Join(lines, "")
}

func maskedModel(text string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		if l != "" {
			b.WriteString("@" + strings.Repeat("x", 24) + " " + l)
		}
	}
	return b.String()
}

func TestStampLinesReaders(t *testing.T) {
	for ti, text := range streamTexts {
		want := maskedModel(text)
		for _, rd := range testkit.Readers {
			for _, size := range bufSizes {
				now, readings := tickClock()
				var out bytes.Buffer
				err := StampLines(&out, rd.Wrap(strings.NewReader(text)), StampConfig{Now: now, bufSize: size})
				if err != nil {
					t.Fatal(err)
				}
				if got := maskLabels(t, out.String()); got != want {
					t.Errorf("text %d, %s reader, buffer %d: StampLines(%q) = %q, want %q", ti, rd.Name, size, text, out.String(), want)
				}
				// Labels never go back, and the clock is read once per read
				// that returns data: with one-byte reads, once per byte.
				prev := Time{}
				for _, l := range strings.SplitAfter(out.String(), "\n") {
					if l == "" {
						continue
					}
					lt, _, _ := Parse([]byte(l))
					if lt.Before(prev) {
						t.Errorf("label %v after %v", lt, prev)
					}
					prev = lt
				}
				if rd.Name == "one byte" && *readings != len(text) {
					t.Errorf("text %d: %d clock readings for %d one-byte reads", ti, *readings, len(text))
				}
			}
		}
	}
}

func TestStampLinesFlushBeforeRead(t *testing.T) {
	now, _ := tickClock()
	l0 := Stamp(now()).String() + " " // the first read's label
	var out bytes.Buffer
	r := &flushCheck{t: t, out: &out,
		chunks: []string{"a\nb", "c\n"},
		want:   []string{l0 + "a\n" + l0 + "b", l0 + "a\n" + l0 + "bc\n"},
	}
	now, _ = tickClock()
	if err := StampLines(&out, r, StampConfig{Now: now}); err != nil {
		t.Fatal(err)
	}
	if out.String() != r.want[1] {
		t.Errorf("output %q, want %q", out.String(), r.want[1])
	}
}

func TestStampLinesErrors(t *testing.T) {
	errBroken := errors.New("broken")
	now, _ := tickClock()
	var out bytes.Buffer
	err := StampLines(&out, io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(errBroken)), StampConfig{Now: now})
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "read" || pe.Path != "input" || !errors.Is(err, errBroken) {
		t.Errorf("read error: got %v, want read input: broken", err)
	}
	if got, want := maskLabels(t, out.String()), maskedModel("a\nb"); got != want {
		t.Errorf("before the read error: output %q, want %q", got, want)
	}
	err = StampLines(&failWriter{n: 10}, strings.NewReader("a\nb\n"), StampConfig{Now: now})
	if !errors.As(err, &pe) || pe.Op != "write" || pe.Path != "output" || !errors.Is(err, errDiskFull) {
		t.Errorf("write error: got %v, want write output: disk full", err)
	}
}

// TestStampLinesAllocs checks that StampLines allocates the same for 100
// lines and for 10000: nothing per line.
func TestStampLinesAllocs(t *testing.T) {
	now, _ := tickClock()
	cfg := StampConfig{Now: now}
	checkAllocsPerLine(t, "StampLines", func(w io.Writer, r io.Reader) error { return StampLines(w, r, cfg) })
}

// checkAllocsPerLine fails t unless filter (the stream function name)
// allocates as much for 10000 lines as for 100: nothing per line.
func checkAllocsPerLine(t *testing.T, name string, filter func(w io.Writer, r io.Reader) error) {
	t.Helper()
	allocs := func(in []byte) float64 {
		return testing.AllocsPerRun(5, func() {
			if err := filter(io.Discard, bytes.NewReader(in)); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, big := allocs(logText(100)), allocs(logText(10000))
	if big != small {
		t.Errorf("%s: %v allocs for 100 lines, %v for 10000: want the same", name, small, big)
	}
}
