package query

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/rotate/compress"
	"github.com/mlog/mlog/tai64"
)

// genOpts shapes a generated logdir.
type genOpts struct {
	archives     int     // number of archives
	maxLines     int     // lines per file, at most
	compressed   bool    // compress some archives
	unstamped    float64 // share of lines without a label
	stepBack     float64 // chance the clock steps back between files
	inFile       float64 // chance per line the clock steps back inside a file
	partialLast  bool    // current ends without a newline
	emptyCurrent bool
	previous     bool // leave a previous (a processor is running)
	noCurrent    bool
}

// base is the generated logs' start: 2026-01-01 00:00:00 UTC.
var base = tai64.FromUnix(1767225600, 500)

// genLogdir writes a logdir under t.TempDir and returns its path and the
// stamps it used (for choosing ranges).
func genLogdir(t testing.TB, r *rand.Rand, o genOpts) (string, []tai64.Time) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "log")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	now := base
	var stamps []tai64.Time
	advance := func(d int64) {
		sec, nsec := now.Unix()
		ns := sec*1e9 + int64(nsec) + d
		now = tai64.FromUnix(ns/1e9, int32(ns%1e9))
	}
	lineNo := 0
	file := func(n int) []byte {
		var b bytes.Buffer
		for range n {
			switch r.IntN(4) {
			case 0: // same stamp again
			case 1:
				advance(int64(r.IntN(1000)) * 1000)
			default:
				advance(int64(r.IntN(3e9)))
			}
			if r.Float64() < o.inFile {
				advance(-int64(r.IntN(300e9)))
			}
			lineNo++
			if r.Float64() < o.unstamped {
				fmt.Fprintf(&b, "unstamped line %d\n", lineNo)
				continue
			}
			stamps = append(stamps, now)
			fmt.Fprintf(&b, "%s line %d %s\n", now, lineNo, strings.Repeat("x", r.IntN(120)))
		}
		return b.Bytes()
	}
	for range o.archives {
		data := file(1 + r.IntN(o.maxLines))
		advance(int64(r.IntN(2e9)))
		stamps = append(stamps, now)
		name := rotate.ArchiveName(now, 's')
		c := rotate.None
		if o.compressed {
			c = rotate.Compression(r.IntN(3))
		}
		writeArchive(t, filepath.Join(dir, name+c.Ext()), c, data)
		if r.Float64() < o.stepBack {
			advance(-int64(r.IntN(7200e9)))
		}
	}
	if o.previous {
		writeArchive(t, filepath.Join(dir, "previous"), rotate.None, file(1+r.IntN(o.maxLines)))
	}
	if !o.noCurrent {
		var data []byte
		if !o.emptyCurrent {
			data = file(1 + r.IntN(o.maxLines))
			if o.partialLast {
				data = append(data, now.String()+" partial"...)
			}
		}
		writeArchive(t, filepath.Join(dir, "current"), rotate.None, data)
	}
	return dir, stamps
}

func writeArchive(t testing.TB, path string, c rotate.Compression, data []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := compress.Copy(c, &b, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stampOf reads the stamp a line starts with, times without a zone in
// UTC.
func stampOf(line []byte) (tai64.Time, bool) { return NewStamper(nil).of(line) }

// bruteLine is one line as the brute force sees it.
type bruteLine struct {
	t    tai64.Time
	text string
}

// bruteForce reads every byte of a logdir and returns its lines in [since,
// until), in file order, each with the time the package doc gives it.
func bruteForce(t testing.TB, dir string, since, until tai64.Time) []bruteLine {
	t.Helper()
	return bruteForceIn(t, dir, since, until, NewStamper(nil))
}

// bruteForceIn is bruteForce with the stamps read by st.
func bruteForceIn(t testing.TB, dir string, since, until tai64.Time, st *Stamper) []bruteLine {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	seen := map[string]bool{}
	for _, e := range ents {
		if a, ok := rotate.ParseArchiveName(e.Name()); ok {
			names = append(names, a.Name)
		}
	}
	slices.Sort(names)
	var files []string
	for _, n := range names {
		key := n[:tai64.LabelLen+2]
		if seen[key] {
			continue
		}
		seen[key] = true
		files = append(files, n)
	}
	for _, n := range []string{"previous", "current"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			files = append(files, n)
		}
	}
	var out []bruteLine
	for _, n := range files {
		a, _ := rotate.ParseArchiveName(n)
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		rc, err := compress.NewReader(a.Compression, f)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 {
			continue
		}
		data = bytes.TrimSuffix(data, []byte("\n"))
		lines := strings.Split(string(data), "\n")
		var cur tai64.Time
		for _, l := range lines {
			if st, ok := st.of([]byte(l)); ok {
				cur = st
				break
			}
		}
		for _, l := range lines {
			if st, ok := st.of([]byte(l)); ok {
				cur = st
			}
			r := timeRange{since: since, until: until}
			if r.contains(cur) {
				out = append(out, bruteLine{cur, l})
			}
		}
	}
	return out
}

// bruteMerge merges per-logdir results as Run does and formats them raw,
// with "dir:" prefixes when prefix is set.
func bruteMerge(dirs []string, per [][]bruteLine, prefix bool) string {
	var b strings.Builder
	idx := make([]int, len(per))
	for {
		best := -1
		for i := range per {
			if idx[i] < len(per[i]) && (best < 0 || per[i][idx[i]].t.Before(per[best][idx[best]].t)) {
				best = i
			}
		}
		if best < 0 {
			return b.String()
		}
		if prefix {
			b.WriteString(dirs[best] + ":")
		}
		b.WriteString(per[best][idx[best]].text + "\n")
		idx[best]++
	}
}
