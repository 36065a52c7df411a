package rotate

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// needBootMarks skips when this system cannot mark files with the boot id
// (no /proc, or a file system without user xattrs): rotated files then stay
// .u after a kill, as before.
func needBootMarks(t *testing.T, dir string) []byte {
	t.Helper()
	boot := readBootID()
	if boot == nil {
		t.Skip("no boot id")
	}
	p := filepath.Join(dir, "xattr-probe")
	require.NoError(t, os.WriteFile(p, nil, 0600))
	defer os.Remove(p)
	if err := syscall.Setxattr(p, "user.mlog.probe", []byte("x"), 0); err != nil {
		t.Skipf("no user xattrs here: %v", err)
	}
	return boot
}

// TestRecoverUnfinished: a .u that a kill left in the finisher's queue in
// this boot is whole (the page cache outlived the process): Open fsyncs it,
// sets 744 and names it .s. A .u marked by another boot (a power failure
// may have cut it) or not marked at all (daemontools', or a current that
// recovery renamed) stays .u, and so does anything that is not a regular
// file, which Open neither follows nor blocks on (issue 13 item 7).
func TestRecoverUnfinished(t *testing.T) {
	logdir := filepath.Join(t.TempDir(), "log")
	require.NoError(t, os.MkdirAll(logdir, 0700))
	boot := needBootMarks(t, logdir)
	outside := hostileEntries(t, logdir)
	at := func(n string) string { return filepath.Join(logdir, n) }
	write := func(n, mark string) {
		require.NoError(t, os.WriteFile(at(n), []byte(n+"\n"), 0644))
		if mark != "" {
			require.NoError(t, syscall.Setxattr(at(n), "user.mlog.boot", []byte(mark), 0))
		}
	}
	write("@400000005000000000000010.u", string(boot))
	write("@400000005000000000000011.u", "00000000-0000-0000-0000-000000000000")
	write("@400000005000000000000012.u", "")
	write("@400000005000000000000013.u", string(boot))

	var d *Dir
	within(t, "Open", func() {
		var err error
		d, err = Open(logdir, Config{Size: 4096})
		require.NoError(t, err)
	})
	within(t, "Close", d.Close)

	for _, n := range []string{"@400000005000000000000010.s", "@400000005000000000000013.s"} {
		st, err := os.Lstat(at(n))
		require.NoError(t, err, "a .u of this boot was not finished")
		require.Equal(t, os.FileMode(0744), st.Mode().Perm(), n)
		b, _ := os.ReadFile(at(n))
		require.Equal(t, n[:26]+"u\n", string(b))
	}
	for _, n := range []string{"@400000005000000000000011.u", "@400000005000000000000012.u",
		"@400000005000000000000005.u", "@400000005000000000000006.u"} {
		_, err := os.Lstat(at(n))
		require.NoError(t, err, "%s should stay .u", n)
	}
	for _, o := range outside {
		st, _ := os.Stat(o)
		require.Equal(t, os.FileMode(0600), st.Mode().Perm(), "%s: mode changed through a link", o)
	}
}

// TestRotationMarksBoot: a rotated file carries this boot's id from the
// moment it is named .u, so that a kill at any point after leaves it
// recognisable to the next Open.
func TestRotationMarksBoot(t *testing.T) {
	logdir := filepath.Join(t.TempDir(), "log")
	require.NoError(t, os.MkdirAll(logdir, 0700))
	boot := needBootMarks(t, logdir)
	d, err := Open(logdir, Config{Size: 4096})
	require.NoError(t, err)
	line := []byte("a line of forty bytes, give or take....\n")
	for range 200 {
		d.Write(line)
	}
	d.Close()
	archives, err := Archives(logdir)
	require.NoError(t, err)
	require.NotEmpty(t, archives)
	for _, a := range archives {
		buf := make([]byte, 64)
		n, err := syscall.Getxattr(filepath.Join(logdir, a.Name), "user.mlog.boot", buf)
		require.NoError(t, err, a.Name)
		require.Equal(t, string(boot), string(buf[:n]), a.Name)
	}
}
