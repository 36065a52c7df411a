package query

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// TestCorruptArchive: one damaged compressed archive is reported, with
// its path, and every other file of the logdir is still printed (and
// counted); Stats.Failed says a file could not be read, for exit 2 at the
// end, as grep does. Before, the query stopped at that file with an error.
func TestCorruptArchive(t *testing.T) {
	damages := []struct {
		name string
		c    rotate.Compression
		harm func([]byte) []byte
	}{
		{"zstd flipped", rotate.Zstd, func(b []byte) []byte {
			for i := len(b) / 2; i < len(b)/2+64; i++ {
				b[i] ^= 0x5a
			}
			return b
		}},
		{"zstd not zstd", rotate.Zstd, func(b []byte) []byte { return []byte("this is not zstd at all\n") }},
		// A processor's !xz output under a plain name: its bytes are not
		// lines, and mlog has no xz reader.
		{"xz under a plain name", rotate.None, func(b []byte) []byte {
			return append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, b[:100]...)
		}},
		// A compressor killed before it wrote anything, or a disk that
		// filled: nothing to decompress is no archive, not an empty one.
		{"zstd empty", rotate.Zstd, func(b []byte) []byte { return nil }},
		{"gzip empty", rotate.Gzip, func(b []byte) []byte { return nil }},
		{"gzip truncated", rotate.Gzip, func(b []byte) []byte { return b[:len(b)/2] }},
		{"gzip flipped", rotate.Gzip, func(b []byte) []byte {
			for i := len(b) / 2; i < len(b)/2+64; i++ {
				b[i] ^= 0x5a
			}
			return b
		}},
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "log")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			// Four archives of 5000 lines and current; the second
			// archive is damaged.
			var files [][]string
			n := 0
			for f := range 5 {
				var lines []string
				for range 5000 {
					l := tai64.FromUnix(1767225600+int64(n), 500).String() + fmt.Sprintf(" line %d %s", n, strings.Repeat("y", n%97))
					lines = append(lines, l)
					n++
				}
				files = append(files, lines)
				data := []byte(strings.Join(lines, "\n") + "\n")
				if f == 4 {
					writeArchive(t, filepath.Join(dir, "current"), rotate.None, data)
					continue
				}
				name := rotate.ArchiveName(tai64.FromUnix(1767225600+int64(n), 0), 's')
				c := rotate.None
				if f == 1 {
					c = d.c
				}
				path := filepath.Join(dir, name+c.Ext())
				writeArchive(t, path, c, data)
				if f == 1 {
					b, err := os.ReadFile(path)
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, d.harm(b), 0o644); err != nil {
						t.Fatal(err)
					}
					t.Logf("damaged %s", path)
				}
			}
			for _, count := range []bool{false, true} {
				var warnings []string
				cfg := Config{Count: count, Warn: func(err error) { warnings = append(warnings, err.Error()) }}
				var out bytes.Buffer
				st, err := Run(context.Background(), cfg, []string{dir}, &out)
				if err != nil {
					t.Fatalf("Run: %v, want the damaged file reported and the rest printed", err)
				}
				if st.Failed != 1 {
					t.Errorf("Failed = %d, want 1", st.Failed)
				}
				if len(warnings) != 1 || !strings.HasPrefix(warnings[0], "read "+dir+"/@") || !strings.Contains(warnings[0], d.c.Ext()+": ") {
					t.Errorf("warnings %q, want one: read PATH-OF-THE-ARCHIVE: reason", warnings)
				}
				got := out.String()
				if count {
					// 20,000 lines and what the damaged one gave before
					// its damage.
					if st.Matched < 20000 || st.Matched > 25000 || got != fmt.Sprint(st.Matched)+"\n" {
						t.Errorf("count printed %q, Matched %d: want at least 20000", got, st.Matched)
					}
					continue
				}
				// Every line of the good files, in order; of the damaged
				// one, a prefix.
				lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
				want := files[0]
				if len(lines) < len(want) || !slices.Equal(lines[:len(want)], want) {
					t.Fatalf("the first archive is not printed whole")
				}
				lines = lines[len(want):]
				k := 0
				for k < len(lines) && k < len(files[1]) && lines[k] == files[1][k] {
					k++
				}
				t.Logf("%d lines of the damaged archive printed", k)
				// A damaged gzip stream can give garbage before its
				// checksum fails: then the printed lines end with the
				// files after it.
				rest := append(append(append([]string{}, files[2]...), files[3]...), files[4]...)
				if len(lines) < len(rest) || !slices.Equal(lines[len(lines)-len(rest):], rest) {
					t.Errorf("the files after the damaged archive are not printed whole")
				}
				if d.name != "gzip flipped" && len(lines)-k != len(rest) {
					t.Errorf("after the good lines of the damaged archive: %d lines, want the %d of the files after it", len(lines)-k, len(rest))
				}
				if int64(len(want)+len(lines)) != st.Matched {
					t.Errorf("Matched = %d, printed %d", st.Matched, len(want)+len(lines))
				}
			}
			// Lines and Pull return no Stats: Config.Failed counts the
			// same file for them, and they go on past it too.
			for _, pull := range []bool{false, true} {
				failed, n := 0, 0
				cfg := Config{Failed: &failed, Warn: func(error) {}}
				if pull {
					for r, err := range Pull(context.Background(), cfg, []string{dir}) {
						if r == nil {
							t.Fatalf("Pull: %v", err)
						}
						n++
					}
				} else {
					for l, err := range Lines(context.Background(), cfg, []string{dir}) {
						if l == nil {
							t.Fatalf("Lines: %v", err)
						}
						n++
					}
				}
				if failed != 1 || n < 20000 {
					t.Errorf("pull %v: Failed %d, %d lines; want 1 and at least 20000", pull, failed, n)
				}
			}
		})
	}
}
