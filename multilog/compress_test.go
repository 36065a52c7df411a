package multilog_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/rotate/compress"
)

// buildMlog builds the mlog binary (the compressor helper) and puts it on
// PATH for the multilog under test.
func buildMlog(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "mlog"), "github.com/mlog/mlog/cmd/mlog")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build mlog: %v\n%s", err, out)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// TestCompression: with z (zstd) or zgzip, finished archives become
// @stamp.s.zst or .s.gz; every line is kept once and in order, n counts
// compressed archives, and no temporary file is left.
func TestCompression(t *testing.T) {
	buildMlog(t)
	var input bytes.Buffer
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&input, "line %05d of a compressible log\n", i)
	}
	for _, tc := range []struct {
		action string
		c      rotate.Compression
	}{{"z", rotate.Zstd}, {"zgzip", rotate.Gzip}} {
		t.Run(tc.action, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{tc.action, "s4096", "n1000", "./d"}
			// Twice: the second run (empty input) compresses what the
			// first left queued at exit.
			for _, in := range [][]byte{input.Bytes(), nil} {
				res := runMultilog(t, "", dir, args, in)
				if res.code != 0 || res.stderr != "" {
					t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
				}
			}
			ents, _ := os.ReadDir(filepath.Join(dir, "d"))
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			sort.Strings(names)
			var all bytes.Buffer
			compressed := 0
			for _, n := range names {
				if strings.HasPrefix(n, "tmp.") {
					t.Errorf("temporary file left: %s", n)
				}
				a, ok := rotate.ParseArchiveName(n)
				if !ok {
					continue
				}
				if a.Compression == tc.c {
					compressed++
				}
				f, _ := os.Open(filepath.Join(dir, "d", n))
				r, err := compress.NewReader(a.Compression, f)
				if err != nil {
					t.Fatalf("%s: %v", n, err)
				}
				if _, err := io.Copy(&all, r); err != nil {
					t.Fatalf("%s: %v", n, err)
				}
				r.Close()
				f.Close()
			}
			cur, _ := os.ReadFile(filepath.Join(dir, "d", "current"))
			all.Write(cur)
			if !bytes.Equal(all.Bytes(), input.Bytes()) {
				t.Errorf("archives + current hold %d bytes, want the %d input bytes in order", all.Len(), input.Len())
			}
			if compressed == 0 {
				t.Errorf("no %v archive among %v", tc.c, names)
			}
		})
	}
}
