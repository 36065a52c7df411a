package multilog_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestHugeLine: a 64 MiB line with no newline is cut hard at s, file after
// file, in bounded memory, and nothing of it is lost.
func TestHugeLine(t *testing.T) {
	const size = 64 << 20
	// The baseline: the same program on one short line (the race detector,
	// when on, makes every process bigger).
	base := startMultilog(t, "", "t", "-*x", "s1048576", "n1000", "./d")
	base.stdin.Write([]byte("short\n"))
	base.stdin.Close()
	base.wait(t)
	baseRSS := base.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss

	s := startMultilog(t, "", "t", "-*x", "s1048576", "n1000", "./d")
	go func() {
		chunk := []byte(strings.Repeat("y", 1<<20))
		for i := 0; i < size>>20; i++ {
			s.stdin.Write(chunk)
		}
		s.stdin.Close()
	}()
	if code := s.wait(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	ru := s.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if grew := ru.Maxrss - baseRSS; grew > 8<<10 { // kB
		t.Errorf("peak resident memory %d kB for a %d MiB line, %d kB for a short one", ru.Maxrss, size>>20, baseRSS)
	}
	ents, _ := os.ReadDir(filepath.Join(s.dir, "d"))
	var total int64
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "@") && e.Name() != "current" {
			continue
		}
		st, _ := os.Stat(filepath.Join(s.dir, "d", e.Name()))
		if e.Name() != "current" && st.Size() != 1048576 {
			t.Errorf("%s: %d bytes, want exactly s", e.Name(), st.Size())
		}
		total += st.Size()
	}
	if want := int64(26 + size + 1); total != want { // stamp, line, the newline added at the end
		t.Errorf("%d bytes logged, want %d", total, want)
	}
}

// TestProcessorFails: a processor that exits non-zero is reported in
// daemontools' words and run again after the pause, until it succeeds;
// nothing is lost meanwhile.
func TestProcessorFails(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "failed-once")
	proc := "!if [ -e " + flag + " ]; then cat; else touch " + flag + "; exit 1; fi"
	in := strings.Repeat("0123456789 a line of the log\n", 200)
	res := runMultilog(t, "", dir, []string{"s4096", "n10", proc, "./d"}, []byte(in))
	if res.code != 0 {
		t.Fatalf("exit %d", res.code)
	}
	if want := "multilog: warning: processor failed in ./d, pausing\n"; !strings.HasPrefix(res.stderr, want) {
		t.Errorf("stderr %q, want it to start %q", res.stderr, want)
	}
	arch, cur := archives(t, filepath.Join(dir, "d"))
	if got := strings.Join(arch, "") + cur; got != in {
		t.Errorf("archives and current hold %d bytes, want the %d input bytes", len(got), len(in))
	}
	if len(arch) == 0 {
		t.Errorf("no archive: the processor never succeeded")
	}
}
