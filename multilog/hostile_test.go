package multilog_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHostileOwnerEveryName: the owner of a logdir (nobody) makes each of
// the names multilog itself opens a symbolic link to a root-only file or a
// FIFO, and root runs multilog with every action that opens files there
// (t, s, n, a processor, z). multilog never reads or writes the file
// behind a link, never waits on a FIFO, and where it cannot go on (a lock
// it cannot take) says why in daemontools' words.
func TestHostileOwnerEveryName(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the logdir is prepared as nobody and multilog runs as root")
	}
	buildMlog(t)
	for _, name := range []string{"lock", "state", "newstate", "current", "previous", "processed"} {
		for _, kind := range []string{"link", "fifo"} {
			t.Run(name+"-"+kind, func(t *testing.T) {
				dir := t.TempDir()
				secret := filepath.Join(t.TempDir(), "shadow")
				if err := os.WriteFile(secret, []byte("ROOT ONLY\n"), 0600); err != nil {
					t.Fatal(err)
				}
				d := filepath.Join(dir, "d")
				if err := os.Mkdir(d, 0755); err != nil {
					t.Fatal(err)
				}
				planted := filepath.Join(d, name)
				var err error
				if kind == "link" {
					err = os.Symlink(secret, planted)
				} else {
					err = syscall.Mkfifo(planted, 0644)
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Lchown(planted, 65534, 65534); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(d, 65534, 65534); err != nil {
					t.Fatal(err)
				}
				code, stderr := runBounded(t, dir, []string{"t", "s4096", "n3", "!cat", "z", "./d"},
					bytes.NewReader(numberedLines(0, 3000)), 2*time.Minute)
				switch {
				case name == "lock" && code == 111:
					if !strings.HasPrefix(stderr, "multilog: fatal: unable to lock directory ./d: ") || strings.Contains(stderr, "escapes") {
						t.Errorf("refused with %q", stderr)
					}
				case code != 0:
					t.Errorf("exit %d, stderr %q", code, stderr)
				}
				if b, _ := os.ReadFile(secret); string(b) != "ROOT ONLY\n" {
					t.Errorf("the root-only file changed: %q", b)
				}
				ents, err := os.ReadDir(d)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range ents {
					if !e.Type().IsRegular() {
						continue
					}
					if b := readArchive(t, d, e.Name()); bytes.Contains(b, []byte("ROOT ONLY")) {
						t.Errorf("%s holds the root-only file's bytes", e.Name())
					}
				}
			})
		}
	}
}
