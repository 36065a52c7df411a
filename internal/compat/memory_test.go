package compat

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestOneProc: a program that calls OneProc runs again with one P from the
// start, and neither it (from then on) nor its children see the variables
// that did it; a GOMAXPROCS of the caller's own is left alone, children
// included.
func TestOneProc(t *testing.T) {
	if os.Getenv("ONEPROC_HELPER") != "" {
		OneProc()
		out, _ := exec.Command("/bin/sh", "-c", "env").Output()
		var child []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "GOMAXPROCS=") || strings.HasPrefix(l, oneProcMark+"=") {
				child = append(child, l)
			}
		}
		os.Stdout.WriteString("procs=" + strconv.Itoa(runtime.GOMAXPROCS(0)) + " env=" + os.Getenv("GOMAXPROCS") + os.Getenv(oneProcMark) +
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
