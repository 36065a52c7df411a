package daemon

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestOneProc: a program that calls OneProc runs again with one P from the
// start, and the environment it returns for children has neither of the
// variables that did it; a GOMAXPROCS of the caller's own is left alone,
// children included.
func TestOneProc(t *testing.T) {
	if os.Getenv("ONEPROC_HELPER") != "" {
		env := OneProc(Environ())
		cmd := exec.Command("/bin/sh", "-c", "env")
		cmd.Env = env
		out, _ := cmd.Output()
		var child []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "GOMAXPROCS=") || strings.HasPrefix(l, oneProcMark+"=") {
				child = append(child, l)
			}
		}
		v, _ := lookup(env, "GOMAXPROCS")
		m, _ := lookup(env, oneProcMark)
		os.Stdout.WriteString("procs=" + strconv.Itoa(runtime.GOMAXPROCS(0)) + " env=" + v + m +
			" child=" + strings.Join(child, ",") + "\n")
		os.Exit(0)
	}
	run := func(env ...string) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestOneProc$")
		cmd.Env = append(os.Environ(), "ONEPROC_HELPER=1")
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("helper: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	clean := func(env []string) []string {
		var out []string
		for _, e := range env {
			if !strings.HasPrefix(e, "GOMAXPROCS=") && !strings.HasPrefix(e, oneProcMark+"=") {
				out = append(out, e)
			}
		}
		return out
	}
	saved := os.Environ()
	os.Clearenv()
	for _, e := range clean(saved) {
		k, v, _ := strings.Cut(e, "=")
		os.Setenv(k, v)
	}
	defer func() {
		os.Clearenv()
		for _, e := range saved {
			k, v, _ := strings.Cut(e, "=")
			os.Setenv(k, v)
		}
	}()
	if got, want := run(), "procs=1 env= child="; got != want {
		t.Errorf("without GOMAXPROCS: %q, want %q", got, want)
	}
	if got, want := run("GOMAXPROCS=3"), "procs=3 env=3 child=GOMAXPROCS=3"; got != want {
		t.Errorf("with GOMAXPROCS=3: %q, want %q", got, want)
	}
}

// TestTrimMemory: TrimMemory drops the test binary's read-only pages and the process
// carries on.
func TestTrimMemory(t *testing.T) {
	rssFile := func() int {
		b, _ := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == "RssFile:" {
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
		return -1
	}
	before := rssFile()
	TrimMemory()
	after := rssFile()
	if after < 0 || after >= before {
		t.Errorf("RssFile %d kB before TrimMemory, %d kB after", before, after)
	}
	if n := testing.AllocsPerRun(5, TrimMemory); n != 0 {
		t.Errorf("TrimMemory allocates %v times, want 0", n)
	}
}

// TestEnviron: Environ is the environment as execve gave it, in order,
// duplicates and all (as daemontools hands environ on), without the empty
// strings os.Environ leaves out too.
func TestEnviron(t *testing.T) {
	if os.Getenv("ENVIRON_HELPER") != "" {
		os.Stdout.WriteString(strings.Join(Environ(), "|"))
		os.Exit(0)
	}
	// os/exec would drop the first A: execve directly.
	env := []string{"ENVIRON_HELPER=1", "A=1", "B=", "A=2", "C=x=y", "NOEQUALS"}
	f, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pid, err := syscall.ForkExec(os.Args[0], []string{os.Args[0], "-test.run=^TestEnviron$"},
		&syscall.ProcAttr{Env: env, Files: []uintptr{0, f.Fd(), 2}})
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	out, _ := os.ReadFile(f.Name())
	if got, want := string(out), strings.Join(env, "|"); got != want {
		t.Errorf("Environ() = %q, want %q", got, want)
	}
}
