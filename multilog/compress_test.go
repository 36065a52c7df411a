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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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

// runBounded runs our multilog in dir with args, stdin from in, and fails
// the test if it has not exited after limit (a generous bound: a hang is
// what it catches, not slowness); the process is killed then.
func runBounded(t *testing.T, dir string, args []string, in io.Reader, limit time.Duration) (code int, stderr string) {
	t.Helper()
	cmd := multilogCommand("", args)
	cmd.Dir = dir
	cmd.Stdin = in
	var eb syncBuffer
	cmd.Stderr = &eb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), eb.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, eb.String()
	case <-time.After(limit):
		cmd.Process.Kill()
		<-done
		t.Fatalf("multilog %v hangs: killed after %v; stderr %q", args, limit, eb.String())
	}
	return -1, ""
}

// readArchive returns the plain bytes of an archive or current.
func readArchive(t *testing.T, dir, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, _ := rotate.ParseArchiveName(name)
	r, err := compress.NewReader(a.Compression, f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// archiveNames lists the names in logdir that start with '@', in order.
func archiveNames(t *testing.T, logdir string) []string {
	t.Helper()
	ents, err := os.ReadDir(logdir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "tmp.") {
			t.Errorf("temporary file left: %s", e.Name())
		}
		if strings.HasPrefix(e.Name(), "@") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func numberedLines(from, to int) []byte {
	var b bytes.Buffer
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "line %07d of a log that compresses well\n", i)
	}
	return b.Bytes()
}

// TestCompressHostileOwner plays the owner of a logdir that root logs
// into with z (issue 13 item 1): archive-named symlinks to root-only
// files, an archive-named hard link, archive-named FIFOs (.s and .u), and
// a symlinked temporary. Root's multilog must read and write no outside
// file, hang on nothing (at start, while compressing, at exit), and log
// every line.
func TestCompressHostileOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the logdir is prepared as nobody and multilog runs as root")
	}
	buildMlog(t)
	dir := t.TempDir()
	outside := t.TempDir()
	secret := filepath.Join(outside, "shadow")
	linked := filepath.Join(outside, "linked")
	victim := filepath.Join(outside, "victim")
	for _, f := range []string{secret, linked, victim} {
		if err := os.WriteFile(f, []byte("ROOT ONLY "+f+"\n"), 0600); err != nil {
			t.Fatal(err)
		}
	}
	d := filepath.Join(dir, "d")
	at := func(n string) string { return filepath.Join(d, n) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Mkdir(d, 0700))
	planted := map[string]os.FileMode{
		"@400000005000000000000000.s":         os.ModeSymlink,
		"@400000005000000000000001.s":         os.ModeNamedPipe,
		"@400000005000000000000002.s":         0, // a hard link to a root-only file
		"@400000005000000000000003.u":         os.ModeSymlink,
		"@400000005000000000000004.u":         os.ModeNamedPipe,
		"@400000005000000000000005.s.zst":     os.ModeSymlink,
		"tmp.@400000005000000000000006.s.zst": os.ModeSymlink, // removed (not followed) by recovery
	}
	must(os.Symlink(secret, at("@400000005000000000000000.s")))
	must(syscall.Mkfifo(at("@400000005000000000000001.s"), 0644))
	must(os.Link(linked, at("@400000005000000000000002.s"))) // possible where protected_hardlinks is 0
	must(os.Symlink(secret, at("@400000005000000000000003.u")))
	must(syscall.Mkfifo(at("@400000005000000000000004.u"), 0644))
	must(os.Symlink(victim, at("@400000005000000000000005.s.zst")))
	must(os.Symlink(victim, at("tmp.@400000005000000000000006.s.zst")))
	for n := range planted {
		if n != "@400000005000000000000002.s" {
			must(os.Lchown(at(n), 65534, 65534))
		}
	}
	must(os.Chown(d, 65534, 65534))

	input := numberedLines(0, 2000)
	code, stderr := runBounded(t, dir, []string{"t", "z", "s4096", "n1000", "./d"}, bytes.NewReader(input), 2*time.Minute)
	if code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}

	for _, f := range []string{secret, linked, victim} {
		b, _ := os.ReadFile(f)
		st, _ := os.Stat(f)
		if string(b) != "ROOT ONLY "+f+"\n" || st.Mode().Perm() != 0600 {
			t.Errorf("%s changed: %q, mode %v", f, b, st.Mode())
		}
	}
	lines := 0
	for _, n := range append(archiveNames(t, d), "current") {
		st, err := os.Lstat(at(n))
		if err != nil {
			t.Fatal(err)
		}
		if mode, ok := planted[n]; ok {
			if st.Mode().Type() != mode {
				t.Errorf("%s: %v, planted as %v", n, st.Mode().Type(), mode)
			}
			continue
		}
		if !st.Mode().IsRegular() {
			t.Errorf("%s: %v", n, st.Mode())
			continue
		}
		b := readArchive(t, d, n)
		if bytes.Contains(b, []byte("ROOT ONLY")) {
			t.Errorf("%s holds a root-only file's bytes", n)
		}
		lines += bytes.Count(b, []byte("\n"))
	}
	if lines != 2000 {
		t.Errorf("%d lines logged, want 2000", lines)
	}
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory, unmounted at
// cleanup. Needs root.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	return mnt
}

// TestCompressSmallDisk: z on a disk sized for compressed archives (issue
// 13 item 4). 600 KiB hold current, two plain archives waiting and ten
// compressed ones at s65536, but not ten plain ones: compression must not
// fall so far behind that plain archives fill the disk (it then hung
// forever, neither compressing nor writing current). The disk used never
// passes what docs/multilog.md promises, (2+1)*s + n*Z.
func TestCompressSmallDisk(t *testing.T) {
	buildMlog(t)
	mnt := mountTmpfs(t, 600<<10)
	const s, n = 65536, 10
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var st syscall.Statfs_t
			if syscall.Statfs(mnt, &st) == nil {
				if used := int64(st.Blocks-st.Bfree) * st.Bsize; used > peak.Load() {
					peak.Store(used)
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	code, stderr := runBounded(t, mnt, []string{"t", "z", fmt.Sprint("s", s), fmt.Sprint("n", n), "./d"},
		bytes.NewReader(numberedLines(0, 100000)), 3*time.Minute)
	close(stop)
	<-sampled
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	d := filepath.Join(mnt, "d")
	names := archiveNames(t, d)
	if len(names) != n-1 {
		t.Errorf("%d archives, want %d: %v", len(names), n-1, names)
	}
	var z int64
	for _, name := range names {
		if !strings.HasSuffix(name, ".s.zst") {
			t.Errorf("%s: not compressed", name)
		}
		st, _ := os.Stat(filepath.Join(d, name))
		z = max(z, st.Size())
	}
	// tmpfs counts whole pages: a page more per file (n+4 files at most:
	// the archives, current, two waiting, the temporary, lock, state).
	bound := 3*s + n*z + (n+5)*4096
	t.Logf("peak %d bytes used, bound %d (largest compressed archive %d)", peak.Load(), bound, z)
	if peak.Load() > bound {
		t.Errorf("peak %d bytes used on the disk, more than (2+1)*s + n*Z = %d", peak.Load(), bound)
	}
}

// TestCompressSustained: under input faster than compression, with a small
// s and n, pruning must take archives out of the compression queue rather
// than leave the helper to fail on them ("mlog compress: fatal: ... no such
// file or directory"), and at the end of input every kept archive is
// compressed (issue 13 item 6). The kept archives and current hold the end
// of the input, in order.
func TestCompressSustained(t *testing.T) {
	buildMlog(t)
	dir := t.TempDir()
	const total = 600000 // 28 MB
	code, stderr := runBounded(t, dir, []string{"z", "s262144", "n4", "./d"}, bytes.NewReader(numberedLines(0, total)), 5*time.Minute)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	d := filepath.Join(dir, "d")
	names := archiveNames(t, d)
	if len(names) != 3 {
		t.Errorf("%d archives, want 3: %v", len(names), names)
	}
	var got []byte
	for _, n := range names {
		if !strings.HasSuffix(n, ".s.zst") {
			t.Errorf("%s: not compressed at exit", n)
		}
		got = append(got, readArchive(t, d, n)...)
	}
	got = append(got, readArchive(t, d, "current")...)
	if want := numberedLines(0, total); !bytes.HasSuffix(want, got) {
		t.Errorf("the kept archives and current (%d bytes) are not the end of the input", len(got))
	}
}

// TestProcessorGzipWithZ: '!gzip' with z compressed twice (zstd holding
// gzip bytes), and readers then printed gzip bytes as lines (issue 13
// item 8). A processor's gzip output is named .s.gz as it is.
func TestProcessorGzipWithZ(t *testing.T) {
	buildMlog(t)
	dir := t.TempDir()
	input := numberedLines(0, 3000)
	code, stderr := runBounded(t, dir, []string{"!gzip", "z", "s4096", "n1000", "./d"}, bytes.NewReader(input), 2*time.Minute)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	d := filepath.Join(dir, "d")
	var got []byte
	for _, n := range append(archiveNames(t, d), "current") {
		if strings.HasPrefix(n, "@") && !strings.HasSuffix(n, ".s.gz") {
			t.Errorf("%s: want the processor's gzip output named .s.gz", n)
		}
		got = append(got, readArchive(t, d, n)...)
	}
	if !bytes.Equal(got, input) {
		t.Errorf("the archives and current read as %d bytes, want the %d input bytes", len(got), len(input))
	}
}
