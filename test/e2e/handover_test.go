package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
)

// TestHandOverFromDaemontools is README's "Migrating a running /service
// tree": a service logging steadily through multilog under Debian's
// svscan is handed over to ours (stop Debian's svscan, start ours over the
// same tree, svc -dx each service and its log) and every line the service
// wrote arrives in the logdir exactly once, across both svscans, both
// supervise and both multilog.
func TestHandOverFromDaemontools(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every binary and runs for about 15 s")
	}
	for _, p := range []string{"/usr/bin/svscan", "/usr/bin/supervise", "/usr/bin/svc", "/usr/bin/multilog"} {
		testkit.NeedPeer(t, p, "daemontools")
	}
	s := &story{t: t, start: time.Now(), base: t.TempDir()}
	s.bin = s.base + "/bin"
	s.scan = s.base + "/service"
	s.env = append(os.Environ(), "PATH="+s.bin+":/usr/bin:/bin")
	debianEnv := append(os.Environ(), "PATH=/usr/bin:/bin")
	s.build()
	s.phase("built")

	// The service numbers its lines; each run of it writes "PID N" for
	// N = 1, 2, ... and, when supervise stops it (TERM, between two
	// lines: sh runs a trap after the command at hand), leaves its last N
	// in last.PID. So the lines it wrote are known exactly.
	svc := s.scan + "/a"
	writeScript(t, svc+"/run", "#!/bin/sh\nn=0\ntrap 'echo $n >last.$$; exit' TERM\n"+
		"while :; do n=$((n+1)); echo \"$$ $n\"; sleep 0.01; done\n")
	// multilog from PATH: Debian's under Debian's svscan, ours under ours.
	writeScript(t, svc+"/log/run", "#!/bin/sh\nexec multilog ./main\n")

	debian, debianErr := s.startScan("/usr/bin/svscan", debianEnv, "debian")
	count := func(f func(pid string) bool) int {
		n := 0
		for _, l := range s.handoverLines(svc + "/log/main") {
			if f(l[0]) {
				n++
			}
		}
		return n
	}
	s.waitFunc("lines through Debian's multilog", func() bool { return count(func(string) bool { return true }) >= 50 })
	s.phase("logging under Debian's svscan")

	// Step 1: stop Debian's svscan alone; its supervise processes, the
	// service and multilog keep running on the pipe it made.
	debian.Process.Signal(syscall.SIGTERM)
	debian.Wait()

	// Step 2: our svscan over the same tree. It notes each service once and
	// starts nothing while Debian's supervise holds the lock.
	ours, oursErr := s.startScan(s.bin+"/svscan", s.env, "ours")
	notes := func() string { b, _ := os.ReadFile(oursErr); return string(b) }
	s.waitFunc("our svscan's notes", func() bool {
		n := notes()
		return strings.Contains(n, "a is supervised by pid") && strings.Contains(n, "a/log is supervised by pid")
	})
	before := count(func(string) bool { return true })
	s.waitFunc("lines still flowing beside our svscan", func() bool { return count(func(string) bool { return true }) > before+20 })
	s.phase("our svscan waits")

	// Step 3: hand over, the log first: Debian's supervise stops its
	// multilog and exits, and ours starts one at its next scan, on the
	// same pipe, which holds what the old multilog had not read; the old
	// service goes on writing into it meanwhile. (With a new pipe, as
	// daemontools' svscan makes, those lines would be lost with the old
	// pipe when the old service stops.) Then the service.
	s.run("/usr/bin/svc", "-dx", svc+"/log")
	s.waitFunc("our multilog", func() bool { return s.supervisedByUs(svc + "/log") })
	before = count(func(string) bool { return true })
	s.waitFunc("the old service's lines through our multilog", func() bool { return count(func(string) bool { return true }) > before+20 })
	s.run("/usr/bin/svc", "-dx", svc)
	oldPids := map[string]bool{}
	for _, l := range s.handoverLines(svc + "/log/main") {
		oldPids[l[0]] = true
	}
	s.waitFunc("our supervise running the service", func() bool { return s.supervisedByUs(svc) })
	s.waitFunc("lines from the new run of the service", func() bool { return count(func(p string) bool { return !oldPids[p] }) >= 50 })
	s.phase("handed over")

	// Stop as README says one stops svscan: our svscan, then the service;
	// the log's supervise exits once multilog has read the pipe to its end
	// (svc -x: no TERM that could leave lines in the pipe).
	s.run(s.bin+"/svc", "-x", svc+"/log")
	ours.Process.Signal(syscall.SIGTERM)
	ours.Wait()
	s.run(s.bin+"/svc", "-dx", svc)
	s.waitFunc("the log to read the pipe to its end", func() bool {
		return exec.Command(s.bin+"/svok", svc).Run() != nil && exec.Command(s.bin+"/svok", svc+"/log").Run() != nil
	})

	// Every line once, each run's lines 1..last in order.
	got := map[string][]int{}
	for _, l := range s.handoverLines(svc + "/log/main") {
		n, err := strconv.Atoi(l[1])
		if err != nil {
			t.Fatalf("bad line %q", l)
		}
		got[l[0]] = append(got[l[0]], n)
	}
	if len(got) < 2 {
		t.Errorf("lines from %d runs of the service, want the old one and ours", len(got))
	}
	for pid, ns := range got {
		b, err := os.ReadFile(svc + "/last." + pid)
		if err != nil {
			t.Errorf("run %s: lines arrived but it did not stop by TERM: %v", pid, err)
			continue
		}
		last, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		ok := len(ns) == last
		for i := 0; ok && i < len(ns); i++ {
			ok = ns[i] == i+1
		}
		if !ok {
			t.Errorf("run %s wrote lines 1..%d; the logdir has %d of them: %s", pid, last, len(ns), summary(ns))
		}
	}
	for _, f := range []string{debianErr, oursErr} {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte("unable to acquire")) {
			t.Errorf("%s: %s", filepath.Base(f), b)
		}
	}
	n := notes()
	if strings.Count(n, "\n") != 2 {
		t.Errorf("our svscan said, want one note for a and one for a/log:\n%s", n)
	}
}

// summary describes a run's line numbers where they are not 1, 2, ...
func summary(ns []int) string {
	var b strings.Builder
	for i, n := range ns {
		if n != i+1 {
			fmt.Fprintf(&b, "at %d: %d; ", i, n)
			if b.Len() > 200 {
				break
			}
		}
	}
	return b.String()
}

// startScan starts an svscan over s.scan in a process group of its own,
// with its output in base/NAME.err; the cleanup kills the group, which
// holds the supervise processes and services it started.
func (s *story) startScan(prog string, env []string, name string) (*exec.Cmd, string) {
	t := s.t
	path := s.base + "/" + name + ".err"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(prog, s.scan)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	return cmd, path
}

// run runs a program, failing the test if it fails.
func (s *story) run(prog string, args ...string) {
	s.t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = s.env
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
}

// supervisedByUs reports whether dir's service is up under our supervise:
// the parent of the pid svstat shows is our binary.
func (s *story) supervisedByUs(dir string) bool {
	cmd := exec.Command(s.bin+"/svstat", dir)
	out, _ := cmd.Output()
	_, rest, ok := strings.Cut(string(out), ": up (pid ")
	pid, _, _ := strings.Cut(rest, ")")
	if !ok {
		return false
	}
	stat, _ := os.ReadFile("/proc/" + pid + "/stat")
	_, after, _ := bytes.Cut(stat, []byte(") "))
	f := strings.Fields(string(after))
	if len(f) < 2 {
		return false
	}
	exe, _ := os.Readlink("/proc/" + f[1] + "/exe")
	return exe == s.bin+"/supervise"
}

// handoverLines returns the logdir's lines as [pid, n], archives first in
// the order of their names (their TAI64N stamps), then current.
func (s *story) handoverLines(dir string) [][2]string {
	archives, _ := filepath.Glob(dir + "/@*.[su]")
	sort.Strings(archives)
	var out [][2]string
	for _, f := range append(archives, dir+"/current") {
		b, _ := os.ReadFile(f)
		for _, l := range strings.Split(string(b), "\n") {
			if pid, n, ok := strings.Cut(l, " "); ok {
				out = append(out, [2]string{pid, n})
			}
		}
	}
	return out
}
