// Package demo runs `make demo`'s script the way a new user does: as root,
// from a copy of the repository in a directory only root can enter (as a
// clone in /root is), and requires that it works, and that it fails with a
// sentence when a logger cannot write.
package demo

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// demoTimeout bounds one run of demo.sh: the build, the services' start
// (about 5 s), a few mails and the svc commands, on a loaded machine.
const demoTimeout = 5 * time.Minute

func TestDemoFromPrivateDir(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs the demo twice")
	}
	if os.Getuid() != 0 {
		t.Skip("the demo's loggers run as nobody only when root runs it")
	}
	for _, p := range []string{"tcpserver", "swaks", "make"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is missing (make peers installs it)", p)
		}
	}
	private := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(private, 0700); err != nil {
		t.Fatal(err)
	}
	top := filepath.Join(private, "mlog")
	copyTree(t, "../..", top)
	if out, err := exec.Command("make", "-C", top, "-s", "build").CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}

	out, err := demo(t, top)
	if err != nil || !strings.Contains(out, "the demo worked") {
		t.Fatalf("demo.sh from a 0700 directory: %v\n%s", err, out)
	}
	logs, _ := filepath.Glob(filepath.Join(top, "demo", "log", "*", "current"))
	if len(logs) != 3 {
		t.Errorf("demo/log has %d logdirs with a current, want 3: %q", len(logs), logs)
	}

	// The same with the loggers' logdirs left to root: the loggers cannot
	// write, and the demo must say so and exit 1.
	script, err := os.ReadFile(filepath.Join(top, "demo.sh"))
	if err != nil {
		t.Fatal(err)
	}
	chown := []byte(`[ -n "$account" ] && chown $account "$LOG/$svc"`)
	if !bytes.Contains(script, chown) {
		t.Fatalf("demo.sh no longer has the line this test breaks: %s", chown)
	}
	os.WriteFile(filepath.Join(top, "demo.sh"), bytes.Replace(script, chown, []byte("true"), 1), 0755)
	out, err = demo(t, top)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("demo.sh with unwritable logdirs: %v, want exit 1\n%s", err, out)
	}
	if !strings.Contains(out, "make demo failed: a service or a logger failed as it started") ||
		!strings.Contains(out, "multilog: fatal: unable to lock directory") {
		t.Errorf("demo.sh with unwritable logdirs does not say why:\n%s", out)
	}
}

// demo runs demo.sh in top with a few mails on free ports, then removes
// the directory it made under /tmp.
func demo(t *testing.T, top string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()
	cmd := testkit.GroupCommand(ctx, "./demo.sh")
	cmd.Dir = top
	cmd.Env = append(os.Environ(), "DEMO_MAILS=8",
		"DEMO_SMTP_PORT="+strconv.Itoa(testkit.FreePort(t)), "DEMO_POP_PORT="+strconv.Itoa(testkit.FreePort(t)))
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("demo.sh did not finish in %v:\n%s", demoTimeout, out)
	}
	t.Cleanup(func() {
		if d, err := os.Readlink(filepath.Join(top, "demo")); err == nil && strings.HasPrefix(d, "/tmp/mlog-demo.") {
			os.RemoveAll(d)
		}
	})
	return string(out), err
}

// copyTree copies the repository's files (not bin, demo or .git) to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		switch rel {
		case "bin", "demo", ".git": // .git is a file in a git worktree
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0755)
		case d.Type()&os.ModeSymlink != 0:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
