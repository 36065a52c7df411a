package supervise

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sys/unix"
)

// Supervise's timing under testing/synctest: the real loop, announce and
// control FIFO, with ./run and ./finish played by fakeKernel, so that a
// test waits seconds of the bubble's clock, not real ones, and the times it
// checks are exact. The bubble's clock moves only while every goroutine in
// it is blocked on time or a channel; a real child process, or a poll(2)
// that blocks, would hold it still. So the fake's poll asks the kernel
// about the real descriptors without waiting, and sleeps a millisecond of
// bubble time between looks. What needs real processes (exec, pidfds,
// SIGCHLD, adoption, ./finish's arguments) stays in run_test.go and
// adopt_test.go, and the 1-second pause against real daemontools in
// test/rts.

// fakeProc is one ./run or ./finish of the fake kernel.
type fakeProc struct {
	argv0   string
	started time.Duration // bubble time since the fake was made
	exitAt  time.Duration // when it exits by itself; < 0: never
	status  unix.WaitStatus
	done    bool // exited (by itself or killed)
	reaped  bool
	killed  time.Duration // when a terminating signal reached it
	pidfd   [2]int        // a real pipe: the read end is the pidfd supervise holds
}

// fakeKernel plays the processes supervise starts. life says how long each
// new process lives (< 0: until killed); it may be changed between starts.
type fakeKernel struct {
	t     *testing.T
	t0    time.Time
	mu    sync.Mutex
	life  map[string]time.Duration // by argv[0]
	procs map[int]*fakeProc
	next  int
	order []int // pids in start order
}

// newFakeKernel returns a fake whose processes live until killed.
func newFakeKernel(t *testing.T) *fakeKernel {
	f := &fakeKernel{t: t, t0: time.Now(), life: map[string]time.Duration{"./run": -1, "./finish": -1}, procs: map[int]*fakeProc{}, next: 1000}
	t.Cleanup(func() {
		for _, p := range f.procs {
			unix.Close(p.pidfd[1])
		}
	})
	return f
}

// setLife sets how long the processes started as argv0 from now on live
// (< 0: until killed).
func (f *fakeKernel) setLife(argv0 string, d time.Duration) {
	f.mu.Lock()
	f.life[argv0] = d
	f.mu.Unlock()
}

func (f *fakeKernel) kernel() kernel {
	return kernel{forkExec: f.forkExec, poll: f.poll, wait4: f.wait4, kill: f.kill}
}

func (f *fakeKernel) now() time.Duration { return time.Since(f.t0) }

// update makes the processes whose time has come exit. f.mu is held.
func (f *fakeKernel) update() {
	for _, p := range f.procs {
		if !p.done && p.exitAt >= 0 && f.now() >= p.exitAt {
			p.done, p.status = true, 0 // exit 0
		}
	}
}

func (f *fakeKernel) forkExec(argv0 string, argv []string, attr *syscall.ProcAttr) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	p := &fakeProc{argv0: argv0, started: f.now(), exitAt: -1, pidfd: [2]int{-1, -1}}
	if life := f.life[argv0]; life >= 0 {
		p.exitAt = p.started + life
	}
	if attr.Sys != nil && attr.Sys.PidFD != nil {
		if err := unix.Pipe2(p.pidfd[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
			f.t.Fatal(err)
		}
		*attr.Sys.PidFD = p.pidfd[0] // supervise closes it when it reaps
	}
	f.procs[f.next] = p
	f.order = append(f.order, f.next)
	return f.next, nil
}

// poll reports the fake pidfds of exited processes ready, asks the kernel
// about the other descriptors (self-pipe, control FIFO) without waiting,
// and sleeps a millisecond of bubble time between looks.
func (f *fakeKernel) poll(fds []unix.PollFd, timeout int) (int, error) {
	deadline := time.Now().Add(time.Duration(timeout) * time.Millisecond)
	for {
		n := 0
		f.mu.Lock()
		f.update()
		for i := range fds {
			fds[i].Revents = 0
			fake := false
			for _, p := range f.procs {
				if int(fds[i].Fd) == p.pidfd[0] {
					fake = true
					if p.done {
						fds[i].Revents = unix.POLLIN
					}
				}
			}
			if !fake {
				one := []unix.PollFd{fds[i]}
				if m, _ := unix.Poll(one, 0); m > 0 {
					fds[i].Revents = one[0].Revents
				}
			}
			if fds[i].Revents != 0 {
				n++
			}
		}
		f.mu.Unlock()
		if n > 0 || timeout >= 0 && !time.Now().Before(deadline) {
			return n, nil
		}
		time.Sleep(time.Millisecond)
	}
}

func (f *fakeKernel) wait4(pid int, ws *unix.WaitStatus, options int) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.update()
	for id, p := range f.procs {
		if (pid == -1 || pid == id) && p.done && !p.reaped {
			p.reaped = true
			p.pidfd[0] = -1 // supervise closes it now: the number may come back
			*ws = p.status
			return id, nil
		}
	}
	if options&unix.WNOHANG != 0 {
		return 0, nil
	}
	return -1, unix.ECHILD // a blocking wait for nothing: never in these tests
}

func (f *fakeKernel) kill(pid int, sig unix.Signal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.procs[pid]
	if !ok || p.done {
		return unix.ESRCH
	}
	if sig != unix.SIGCONT && sig != unix.SIGSTOP {
		p.done, p.status, p.killed = true, unix.WaitStatus(sig), f.now()
	}
	return nil
}

// started returns the start times of the processes run as argv0.
func (f *fakeKernel) started(argv0 string) []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var t []time.Duration
	for _, pid := range f.order {
		if p := f.procs[pid]; p.argv0 == argv0 {
			t = append(t, p.started)
		}
	}
	return t
}

// fakeSupervise runs supervise on a new service directory with the fake
// kernel, in the bubble, and returns the directory and a function that
// stops it (svc -dx) and waits for Run to return (which done reports as
// well). With finish, the
// directory has a ./finish (never executed: the fake plays it, but
// supervise looks for the file).
func fakeSupervise(t *testing.T, f *fakeKernel, cfg Config, finish bool) (dir string, stop func(), done <-chan struct{}) {
	dir = filepath.Join(t.TempDir(), "svc")
	if err := os.MkdirAll(dir, 0755); err != nil {
		t.Fatal(err)
	}
	if finish {
		os.WriteFile(dir+"/finish", []byte("#!/bin/sh\n"), 0755)
	}
	cfg.Dir = dir
	cfg.Env = []string{"PATH=/bin:/usr/bin"}
	cfg.Warn = func(err error) { t.Errorf("warning: %v", err) }
	exited := make(chan struct{})
	var err error
	go func() { err = run(cfg, f.kernel()); close(exited) }()
	synctest.Wait()
	return dir, func() {
		control(t, dir, "dx")
		<-exited
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	}, exited
}

func durations(d ...time.Duration) []time.Duration { return d }

// TestRestartPause: a ./run that exits at once is started again one second
// after each start, as daemontools' supervise sleeps a second after each
// start, not at once and not later.
func TestRestartPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeKernel(t)
		f.setLife("./run", 0) // exits at once
		_, stop, _ := fakeSupervise(t, f, Config{}, false)
		time.Sleep(4500 * time.Millisecond)
		got := f.started("./run")
		f.setLife("./run", -1)
		if want := durations(0, time.Second, 2*time.Second, 3*time.Second, 4*time.Second); !slices.Equal(got, want) {
			t.Errorf("starts at %v, want %v", got, want)
		}
		stop()
	})
}

// TestStartPauseDeaf: supervise is deaf to commands during the pause after
// a start, as daemontools' deepsleep(1): an svc -d sent half a second
// after the start takes effect at the end of the second.
func TestStartPauseDeaf(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeKernel(t)
		dir, stop, _ := fakeSupervise(t, f, Config{}, false)
		time.Sleep(500 * time.Millisecond)
		control(t, dir, "d")
		time.Sleep(time.Second)
		f.mu.Lock()
		p := f.procs[f.order[0]]
		killed, done := p.killed, p.done
		f.mu.Unlock()
		if !done || killed != time.Second {
			t.Errorf("svc -d at 0.5 s: killed %v at %v, want at 1s", done, killed)
		}
		if st, err := Stat(dir); err != nil || st.PID != 0 || st.Want != WantDown {
			t.Errorf("after svc -d: %+v, %v; want down", st, err)
		}
		stop()
	})
}

// TestOnceStaysDown: after svc -o the service runs once: when it exits it
// stays down, however long supervise waits.
func TestOnceStaysDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeKernel(t)
		f.setLife("./run", 3*time.Second)
		f.setLife("./finish", 0)
		dir, stop, _ := fakeSupervise(t, f, Config{}, true)
		control(t, dir, "o")
		time.Sleep(20 * time.Second)
		if got := f.started("./run"); !slices.Equal(got, durations(0)) {
			t.Errorf("starts at %v, want only the first", got)
		}
		if st, err := Stat(dir); err != nil || st.PID != 0 || st.Want != WantOnce {
			t.Errorf("20 s after svc -o: %+v, %v; want down", st, err)
		}
		stop()
	})
}

// TestFinishTimeout: a ./finish that does not exit is killed after
// finishTimeout, and ./run starts again right after it; one that exits at
// once holds nothing up.
func TestFinishTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeKernel(t)
		f.setLife("./run", 2*time.Second) // past the start pause
		_, stop, _ := fakeSupervise(t, f, Config{}, true)
		time.Sleep(8 * time.Second)
		f.setLife("./finish", 0)
		time.Sleep(1500 * time.Millisecond)
		runs, finishes := f.started("./run"), f.started("./finish")
		// run 0-2 s, ./finish 2-7 s (killed), run 7-9 s, ./finish at
		// once, run at 9 s.
		if want := durations(0, 7*time.Second, 9*time.Second); !slices.Equal(runs, want) {
			t.Errorf("./run started at %v, want %v", runs, want)
		}
		if want := durations(2*time.Second, 9*time.Second); !slices.Equal(finishes, want) {
			t.Errorf("./finish started at %v, want %v", finishes, want)
		}
		f.mu.Lock()
		p := f.procs[f.order[1]]
		killedAt, sig := p.killed, p.status.Signal()
		f.mu.Unlock()
		if killedAt != 7*time.Second || sig != unix.SIGKILL {
			t.Errorf("the hanging ./finish: killed at %v by %v, want at 7s by SIGKILL", killedAt, sig)
		}
		stop()
	})
}

// TestExitWaitsForDown: svc -x while the service is up makes supervise exit
// only once the service is down, however long that takes.
func TestExitWaitsForDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeKernel(t)
		dir, stop, done := fakeSupervise(t, f, Config{}, false)
		control(t, dir, "x")
		time.Sleep(20 * time.Second)
		select {
		case <-done:
			t.Fatal("supervise exited while the service was up")
		default:
		}
		stop()
	})
}
