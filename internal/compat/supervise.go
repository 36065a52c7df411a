package compat

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/daemon"
)

// superviseMain is supervise: supervise dir. The program lives in
// internal/daemon, which cmd/supervise (the installed supervise) links
// without the rest of compat.
func superviseMain(t *Tool, args []string) int {
	in, out, errf := stdFiles(t)
	return daemon.Supervise(t, args, os.Environ(), in, out, errf)
}

// stdFiles returns the tool's standard files that are real files, for
// programs that hand them on to children.
func stdFiles(t *Tool) (in, out, errf *os.File) {
	in, _ = t.Stdin.(*os.File)
	out, _ = t.Stdout.(*os.File)
	errf, _ = t.Stderr.(*os.File)
	return in, out, errf
}

// sibling returns the path of program name installed beside the running
// executable (make install puts every name in one directory: supervise
// and multilog as binaries of their own, the others as symbolic links to
// mlog-tools), or "" when there is none there. svscanboot and svscan run
// their siblings, so that a set installed under any PREFIX runs as one
// set, whatever else comes first on PATH (Debian's /usr/bin/svscan, say);
// without a sibling they look the name up on PATH as daemontools does.
func sibling(name string) string {
	exe, err := os.Executable() // /proc/self/exe: the binary, links resolved
	if err != nil {
		return ""
	}
	p := filepath.Join(filepath.Dir(exe), name)
	var st unix.Stat_t
	if unix.Stat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || unix.Access(p, unix.X_OK) != nil {
		return ""
	}
	return p
}
