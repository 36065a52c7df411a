package query

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// longLogdir writes a logdir whose lines are of every length around and
// far beyond the piece size n, with multi-byte UTF-8 at every offset (so
// that pieces cut sequences), stamped and not, in plain and compressed
// archives and current (ending without a newline).
func longLogdir(t *testing.T, n int) string {
	dir := filepath.Join(t.TempDir(), "log")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	now := tai64.FromUnix(1767225600, 500)
	k := 0
	file := func(lines int) []byte {
		var b bytes.Buffer
		for range lines {
			k++
			now.Sec += uint64(r.IntN(3))
			size := []int{10, n - 40, n - 26, n - 25, n, n + 1, 3*n + r.IntN(n), 12 * n}[r.IntN(8)]
			var text strings.Builder
			fmt.Fprintf(&text, "line %d ", k)
			for text.Len() < size {
				text.WriteString([]string{"é", "😀", "x", "\"", "\x01", "\xff"}[r.IntN(6)])
			}
			if r.IntN(5) == 0 {
				b.WriteString("cont " + text.String() + "\n")
				continue
			}
			b.WriteString(now.String() + " " + text.String() + "\n")
		}
		return b.Bytes()
	}
	for i, c := range []rotate.Compression{rotate.None, rotate.Zstd, rotate.None, rotate.Gzip} {
		data := file(8)
		now.Sec++
		writeArchive(t, filepath.Join(dir, rotate.ArchiveName(now, 's')+c.Ext()), c, data)
		_ = i
	}
	data := file(8)
	data = append(data, now.String()+" partial "+strings.Repeat("p", 2*n)...)
	writeArchive(t, filepath.Join(dir, "current"), rotate.None, data)
	return dir
}

// TestLongLines: lines longer than the query holds are printed in pieces,
// and the output is byte for byte what it is when they are held whole,
// in every format, over ranges, and counted; a cursor resumes after them.
func TestLongLines(t *testing.T) {
	defer func(n int) { maxLineBuf = n }(maxLineBuf)
	const piece = readBufSize
	dir := longLogdir(t, piece)
	r := rand.New(rand.NewPCG(8, 8))
	var stamps []tai64.Time
	for _, l := range bruteForce(t, dir, tai64.Time{}, tai64.Time{}) {
		stamps = append(stamps, l.t)
	}
	run := func(cfg Config, max int) (string, Stats) {
		maxLineBuf = max
		var out bytes.Buffer
		st, err := Run(context.Background(), cfg, []string{dir}, &out)
		if err != nil {
			t.Fatal(err)
		}
		return out.String(), st
	}
	for i := range 24 {
		cfg := Config{Format: Format(i % 4)}
		if i >= 4 {
			cfg.Since, cfg.Until = pickTime(r, stamps), pickTime(r, stamps)
			if cfg.Until.Before(cfg.Since) {
				cfg.Since, cfg.Until = cfg.Until, cfg.Since
			}
		}
		cfg.Count = i%5 == 4
		cfg.Prefix = i%3 == 1
		whole, wst := run(cfg, 1<<30)
		pieces, pst := run(cfg, piece)
		if pieces != whole || pst.Matched != wst.Matched {
			t.Fatalf("case %d (%+v): in pieces %d bytes, %d lines; whole %d bytes, %d lines; %s",
				i, cfg, len(pieces), pst.Matched, len(whole), wst.Matched, firstDiff(pieces, whole))
		}
		if cfg.Format == JSON && !cfg.Count {
			for _, l := range strings.Split(strings.TrimSuffix(pieces, "\n"), "\n") {
				var v map[string]any
				if err := json.Unmarshal([]byte(l), &v); err != nil {
					t.Fatalf("case %d: invalid JSON (%v): %.200q", i, err, l)
				}
			}
		}
	}
	// The raw output of everything is the logdir's bytes.
	raw, _ := run(Config{}, piece)
	want := bruteMerge([]string{dir}, [][]bruteLine{bruteForce(t, dir, tai64.Time{}, tai64.Time{})}, false)
	if raw != want {
		t.Fatalf("raw output: %s", firstDiff(raw, want))
	}
	// A cursor run by run, after lines are added: every line once. The
	// partial last line of current is left for the run that completes it.
	maxLineBuf = piece
	cur := &Cursor{}
	var all bytes.Buffer
	for round := range 3 {
		if _, err := Run(context.Background(), Config{Cursor: cur}, []string{dir}, &all); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(filepath.Join(dir, "current"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, " end of the partial line %d\n%s round %d %s", round, tai64.FromUnix(1767300000+int64(round), 0), round, strings.Repeat("q", 3*piece))
		f.Close()
	}
	if _, err := Run(context.Background(), Config{Cursor: cur}, []string{dir}, &all); err != nil {
		t.Fatal(err)
	}
	full, _ := run(Config{}, piece)
	// The last round's line is partial: the cursor runs leave it.
	full = full[:strings.LastIndex(full, tai64.FromUnix(1767300002, 0).String())]
	if all.String() != full {
		t.Fatalf("cursor runs: %s", firstDiff(all.String(), full))
	}
}

// TestLongLineMemory: a query's memory does not grow with its longest line.
// Before, a line took 2.3 times its length (a 300 MB line, 696 MB).
func TestLongLineMemory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	f, err := os.Create(filepath.Join(dir, "current"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "%s short\n%s ", tai64.FromUnix(1767225600, 0), tai64.FromUnix(1767225601, 0))
	chunk := bytes.Repeat([]byte("long é "), 1<<16)
	for written := 0; written < size; written += len(chunk) {
		f.Write(chunk)
	}
	fmt.Fprintf(f, "\n%s after\n", tai64.FromUnix(1767225602, 0))
	f.Close()
	for _, format := range []Format{Raw, JSON, Local} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var n countingWriter
		st, err := Run(context.Background(), Config{Format: format}, []string{dir}, &n)
		runtime.ReadMemStats(&after)
		if err != nil || st.Matched != 3 || n < size {
			t.Fatalf("format %v: %d lines, %d bytes, %v", format, st.Matched, n, err)
		}
		// The pieces (MaxLine), the output buffer, JSON's escaping of a
		// piece: a few MaxLines, whatever the line's length.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16*MaxLine {
			t.Errorf("format %v: a %d MB line took %d MB of allocations, want at most %d", format, size>>20, alloc>>20, 16*MaxLine>>20)
		}
	}
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

// TestFollowLongLine: under --follow, a line longer than the query holds
// that is still being written is printed once, whole, when its newline
// comes.
func TestFollowLongLine(t *testing.T) {
	defer func(n int) { maxLineBuf = n }(maxLineBuf)
	maxLineBuf = readBufSize
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "current"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	long := strings.Repeat("L", 5*readBufSize)
	fmt.Fprintf(f, "%s line 1\n%s line 2 %s", tai64.FromUnix(1767225600, 0), tai64.FromUnix(1767225601, 0), long[:len(long)/2])
	w := &lineWriter{}
	fw := startFollow(Config{Follow: true, Poll: 5 * time.Millisecond}, dir, w)
	w.waitLines(t, 1, fw.done)
	time.Sleep(50 * time.Millisecond) // a few looks at the half-written line
	fmt.Fprintf(f, "%s\n%s line 3\n", long[len(long)/2:], tai64.FromUnix(1767225602, 0))
	w.waitLines(t, 3, fw.done)
	fw.stop(t)
	want := fmt.Sprintf("%s line 1\n%s line 2 %s\n%s line 3\n", tai64.FromUnix(1767225600, 0), tai64.FromUnix(1767225601, 0), long, tai64.FromUnix(1767225602, 0))
	if got := w.String(); got != want {
		t.Errorf("follow: %s", firstDiff(got, want))
	}
}
