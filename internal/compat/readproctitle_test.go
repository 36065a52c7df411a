package compat

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mlog/mlog/internal/testkit"
)

// svTitle runs prog with args, feeds it input, and returns its last
// argument as /proc shows it once it contains until.
func svTitle(t *testing.T, prog string, args []string, input, until string) string {
	t.Helper()
	cmd := exec.Command(prog, args...)
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, input)
	var last string
	testkit.WaitFor(t, "the title to show "+until, func() bool {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline")
		a := bytes.Split(bytes.TrimSuffix(b, []byte{0}), []byte{0})
		last = string(a[len(a)-1])
		return strings.Contains(last, until)
	})
	w.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("%s: %v", prog, err)
	}
	return last
}

func TestReadproctitleMatchesReal(t *testing.T) {
	tools := svTools(t)
	real := svReal(t, "readproctitle")
	args := []string{"service", "errors:", strings.Repeat(".", 40)}
	for _, in := range []string{"svscan: warning: unable to stat x\n", "a\x00b\x00c end", strings.Repeat("0123456789", 10) + "end"} {
		until := "end"
		if !strings.Contains(in, "end") {
			until = "x"
		}
		want := svTitle(t, real, args, in, until)
		got := svTitle(t, filepath.Join(tools, "readproctitle"), args, in, until)
		if got != want {
			t.Errorf("readproctitle title after %q = %q, want %q", in, got, want)
		}
	}
	dir := t.TempDir()
	for _, args := range [][]string{{}, {"abcd"}, {"abcde"}, {"x", "....."}} {
		svCompare(t, tools, dir, "readproctitle", args...)
	}
}
