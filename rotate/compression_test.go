package rotate

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gzipCommand is a compressor helper for these tests: like mlog compress,
// it reads the archive on stdin and writes the temporary on stdout (the
// method comes as $1 and is ignored).
var gzipCommand = []string{"/bin/sh", "-c", "exec gzip -c", "sh"}

// within fails the test if fn does not return in a generous time: a hang
// (an open that blocks on a FIFO) must fail, not stall the test run.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s hangs", what)
	}
}

// hostileEntries fills logdir with what an owner who wants root's files
// might leave there, and returns the outside files they point at.
func hostileEntries(t *testing.T, logdir string) (outside []string) {
	t.Helper()
	out := t.TempDir()
	secret := filepath.Join(out, "secret")
	linked := filepath.Join(out, "linked")
	for _, f := range []string{secret, linked} {
		require.NoError(t, os.WriteFile(f, []byte("SECRET "+f+"\n"), 0600))
	}
	require.NoError(t, os.MkdirAll(logdir, 0700))
	at := func(n string) string { return filepath.Join(logdir, n) }
	require.NoError(t, os.Symlink(secret, at("@400000005000000000000000.s")))
	require.NoError(t, syscall.Mkfifo(at("@400000005000000000000001.s"), 0600))
	require.NoError(t, os.Link(linked, at("@400000005000000000000002.s")))
	require.NoError(t, os.Symlink(secret, at("@400000005000000000000005.u")))
	require.NoError(t, syscall.Mkfifo(at("@400000005000000000000006.u"), 0600))
	sock, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer syscall.Close(sock)
	require.NoError(t, syscall.Bind(sock, &syscall.SockaddrUnix{Name: at("@400000005000000000000007.s")}))
	return []string{secret, linked}
}

// TestCompressionFilesNeverFollowLinks: compression, its recovery at Open
// and its drain at Close read only regular archives with one link, never
// through a symlink, never blocking on a FIFO, and create the temporary
// exclusively, unlinking whatever had its name (issue 13 item 1).
func TestCompressionFilesNeverFollowLinks(t *testing.T) {
	logdir := filepath.Join(t.TempDir(), "log")
	outside := hostileEntries(t, logdir)
	plain := filepath.Join(logdir, "@400000005000000000000003.s")
	require.NoError(t, os.WriteFile(plain, []byte("a plain line\n"), 0744))
	var warnings []string
	var mu sync.Mutex
	cfg := Config{Size: 4096, Num: 100, Compression: Gzip, CompressCommand: gzipCommand,
		Warn:  func(err error) { mu.Lock(); warnings = append(warnings, err.Error()); mu.Unlock() },
		Sleep: func(time.Duration) {}}
	var d *Dir
	within(t, "Open", func() {
		var err error
		d, err = Open(logdir, cfg)
		require.NoError(t, err)
	})

	for _, n := range []string{"@400000005000000000000000.s", "@400000005000000000000001.s", "@400000005000000000000002.s",
		"@400000005000000000000005.u", "@400000005000000000000006.u", "@400000005000000000000007.s"} {
		within(t, "openArchive "+n, func() {
			f, err := d.openArchive(n)
			if err != errNotArchive {
				t.Errorf("openArchive(%s) = %v, %v; want errNotArchive", n, f, err)
			}
		})
	}

	// The race the owner would play: a link named like the temporary,
	// made after recovery cleaned the logdir.
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("VICTIM\n"), 0600))
	tmp := tempPrefix + "@400000005000000000000009.s.gz"
	require.NoError(t, os.Symlink(victim, filepath.Join(logdir, tmp)))
	f, err := d.createTemp(tmp)
	require.NoError(t, err)
	f.WriteString("ours\n")
	f.Close()
	st, err := os.Lstat(filepath.Join(logdir, tmp))
	require.NoError(t, err)
	require.True(t, st.Mode().IsRegular(), "the temporary is %v, want a new regular file", st.Mode())
	require.NoError(t, os.Remove(filepath.Join(logdir, tmp)))
	require.NoError(t, syscall.Mkfifo(filepath.Join(logdir, tmp), 0600)) // unlinked too, never opened
	within(t, "createTemp over a FIFO", func() {
		f, err = d.createTemp(tmp)
		require.NoError(t, err)
		f.Close()
	})
	require.NoError(t, os.Remove(filepath.Join(logdir, tmp)))

	d.Write([]byte("a line\n"))
	within(t, "Close", d.Close)

	b, _ := os.ReadFile(victim)
	require.Equal(t, "VICTIM\n", string(b), "written through the temporary's link")
	for _, o := range outside {
		b, _ := os.ReadFile(o)
		require.Equal(t, "SECRET "+o+"\n", string(b))
		st, _ := os.Stat(o)
		require.Equal(t, os.FileMode(0600), st.Mode().Perm(), o)
	}
	ents, _ := os.ReadDir(logdir)
	for _, e := range ents {
		p := filepath.Join(logdir, e.Name())
		if st, _ := os.Lstat(p); !st.Mode().IsRegular() {
			continue
		}
		b, _ := os.ReadFile(p)
		if strings.HasSuffix(e.Name(), ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			require.NoError(t, err, e.Name())
			b, _ = io.ReadAll(zr)
		}
		if bytes.Contains(b, []byte("SECRET")) && e.Name() != "@400000005000000000000002.s" {
			t.Errorf("%s holds an outside file's bytes", e.Name())
		}
	}
	b, err = os.ReadFile(plain + ".gz")
	require.NoError(t, err, "the regular archive was not compressed")
	zr, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	b, _ = io.ReadAll(zr)
	require.Equal(t, "a plain line\n", string(b))
	require.Empty(t, warnings)
}

// TestCompressionKeepsUpWithPruning: a compressor slower than the input
// and a small n. Pruning takes archives out of the compression queue (and
// stops the helper working on one), so no compression fails for want of
// its archive and nothing is warned; rotation waits while compressBacklog
// archives wait, so at Close every kept archive is compressed and the kept
// archives and current hold the end of the input, in order (issue 13
// items 4 and 6).
func TestCompressionKeepsUpWithPruning(t *testing.T) {
	logdir := filepath.Join(t.TempDir(), "log")
	var warnings []string
	var mu sync.Mutex
	slow := []string{"/bin/sh", "-c", "sleep 0.01; exec gzip -c", "sh"}
	d, err := Open(logdir, Config{Size: 4096, Num: 3, Compression: Gzip, CompressCommand: slow,
		Warn: func(err error) { mu.Lock(); warnings = append(warnings, err.Error()); mu.Unlock() }})
	require.NoError(t, err)
	var in bytes.Buffer
	for i := 0; in.Len() < 60*4096; i++ {
		fmt.Fprintf(&in, "line %06d %s\n", i, strings.Repeat("y", i%50))
	}
	for p := in.Bytes(); len(p) > 0; {
		n := min(len(p), 3000)
		d.Write(p[:n])
		p = p[n:]
	}
	within(t, "Close", d.Close)
	require.Empty(t, warnings)

	ents, err := os.ReadDir(logdir)
	require.NoError(t, err)
	var archives []string
	for _, e := range ents {
		require.False(t, strings.HasPrefix(e.Name(), tempPrefix), "left behind: %s", e.Name())
		if strings.HasPrefix(e.Name(), "@") {
			archives = append(archives, e.Name())
		}
	}
	sort.Strings(archives)
	require.Len(t, archives, 2, "n3 keeps 2 archives: %v", archives)
	var got []byte
	for _, n := range archives {
		require.True(t, strings.HasSuffix(n, ".s.gz"), "%s: not compressed", n)
		got = append(got, gunzipFile(t, filepath.Join(logdir, n))...)
	}
	b, _ := os.ReadFile(filepath.Join(logdir, "current"))
	got = append(got, b...)
	require.True(t, bytes.HasSuffix(in.Bytes(), got), "the kept archives and current are not the end of the input")
}

// TestProcessorOutputCompressedAlready: a processor that compresses
// (!gzip) with z: its output is named .s.gz as it is, not compressed again
// into zstd holding gzip bytes (issue 13 item 8).
func TestProcessorOutputCompressedAlready(t *testing.T) {
	logdir := filepath.Join(t.TempDir(), "log")
	failing := []string{"/bin/sh", "-c", "exit 1", "sh"} // compressing again would fail
	d, err := Open(logdir, Config{Size: 4096, Num: 100, Processor: "gzip", Compression: Zstd, CompressCommand: failing,
		Warn: func(err error) { t.Errorf("warning: %v", err) }, Sleep: func(time.Duration) {}})
	require.NoError(t, err)
	var in bytes.Buffer
	for i := 0; in.Len() < 5*4096; i++ {
		fmt.Fprintf(&in, "line %06d\n", i)
	}
	d.Write(in.Bytes())
	within(t, "Close", d.Close)
	archives, err := Archives(logdir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(archives), 4)
	var got []byte
	for _, a := range archives {
		require.Equal(t, Gzip, a.Compression, a.Name)
		got = append(got, gunzipFile(t, filepath.Join(logdir, a.Name))...)
	}
	b, _ := os.ReadFile(filepath.Join(logdir, "current"))
	require.Equal(t, in.String(), string(got)+string(b))
}

// gunzipFile returns the decompressed contents of the gzip file at path.
func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	b, err := io.ReadAll(zr)
	require.NoError(t, err)
	return b
}
