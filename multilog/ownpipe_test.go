package multilog

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests of stdin's own description (ownPipe, newPipeWaiter) and of
// waiting without a look after a tee that emptied the pipe.

func fdFlags(t *testing.T, fd int, cmd int) int {
	t.Helper()
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), 0)
	if e != 0 {
		t.Fatalf("fcntl(%d, %d): %v", fd, cmd, e)
	}
	return int(r)
}

// TestOwnPipeDescription: with stdin a pipe, the logger waits on a
// description of its own of the same pipe, nonblocking and close-on-exec,
// and leaves stdin's description blocking, as the next reader of the pipe
// (maybe daemontools' multilog) must find it.
func TestOwnPipeDescription(t *testing.T) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w := os.NewFile(uintptr(p[0]), "r"), os.NewFile(uintptr(p[1]), "w")
	defer r.Close()
	defer w.Close()
	dir := filepath.Join(t.TempDir(), "d")
	l, err := Open(Config{Script: mustParse(t, []string{"t", dir}), Stdin: r})
	if err != nil {
		t.Fatal(err)
	}
	if l.in.own < 0 || l.in.pw == nil || l.in.w != l.in.pw {
		t.Fatalf("own = %d, pipe waiter %v: stdin is a pipe, yet the logger waits the old way", l.in.own, l.in.pw != nil)
	}
	if fdFlags(t, l.in.own, syscall.F_GETFL)&syscall.O_NONBLOCK == 0 {
		t.Error("our own description of stdin is blocking")
	}
	if fdFlags(t, l.in.own, syscall.F_GETFD)&syscall.FD_CLOEXEC == 0 {
		t.Error("our own description of stdin would pass to a processor")
	}
	var st, own syscall.Stat_t
	syscall.Fstat(p[0], &st)
	syscall.Fstat(l.in.own, &own)
	if st.Dev != own.Dev || st.Ino != own.Ino {
		t.Errorf("our own description is of pipe %d:%d, stdin of %d:%d", own.Dev, own.Ino, st.Dev, st.Ino)
	}
	if fdFlags(t, p[0], syscall.F_GETFL)&syscall.O_NONBLOCK != 0 {
		t.Fatal("stdin's description is nonblocking while the logger runs")
	}
	done := make(chan struct{})
	go func() { l.Run(); close(done) }()
	for i := 0; i < 20; i++ {
		fmt.Fprintf(w, "line %d\n", i)
		time.Sleep(time.Millisecond)
	}
	w.Close()
	<-done
	if fdFlags(t, p[0], syscall.F_GETFL)&syscall.O_NONBLOCK != 0 {
		t.Error("stdin's description is nonblocking after the logger: the next one would inherit it")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "current"))
	if n := strings.Count(string(b), "\n"); n != 20 || !strings.Contains(string(b), " line 19\n") {
		t.Errorf("current holds %d lines, want 20:\n%s", n, b)
	}
}

// TestOwnPipeFallback: stdin that is not a pipe (a file, a character
// device as a tty is, a socket) gets no description of our own; the logger
// waits the old way and logs the same.
func TestOwnPipeFallback(t *testing.T) {
	file := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(file, []byte("one\ntwo\n"), 0644); err != nil {
		t.Fatal(err)
	}
	sp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(sp[0])
	defer syscall.Close(sp[1])
	for _, tc := range []struct {
		name string
		open func() (*os.File, error)
	}{
		{"file", func() (*os.File, error) { return os.Open(file) }},
		{"device", func() (*os.File, error) { return os.Open(os.DevNull) }},
		{"socket", func() (*os.File, error) {
			fd, err := syscall.Dup(sp[0])
			return os.NewFile(uintptr(fd), "socket"), err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.open()
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if fd := ownPipe(int(f.Fd())); fd >= 0 {
				syscall.Close(fd)
				t.Fatalf("ownPipe on a %s gave descriptor %d, want -1", tc.name, fd)
			}
			if tc.name != "file" {
				return
			}
			dir := filepath.Join(t.TempDir(), "d")
			l, err := Open(Config{Script: mustParse(t, []string{dir}), Stdin: f})
			if err != nil {
				t.Fatal(err)
			}
			if l.in.pw != nil || l.in.own >= 0 {
				t.Fatal("a file on stdin got a description of its own")
			}
			l.Run()
			if b, _ := os.ReadFile(filepath.Join(dir, "current")); string(b) != "one\ntwo\n" {
				t.Errorf("current = %q, want %q", b, "one\ntwo\n")
			}
		})
	}
}

// TestPipeWaiter: the waiter on our own description wakes for input (an
// edge per write, as waiter.look relies on), for its end, for its
// timeout, and at once for an interrupt (a signal), whether the interrupt
// comes during the wait or before it; and it does not allocate.
func TestPipeWaiter(t *testing.T) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(p[0])
	own := ownPipe(p[0])
	if own < 0 {
		t.Skip("no description of our own (no /proc?)")
	}
	w := newPipeWaiter(own)
	if w == nil {
		t.Fatal("the poller refused a pipe")
	}
	defer w.close()

	if ready, _, ok := w.wait(0); ready || !ok {
		t.Fatalf("wait(0) on an empty pipe = %v, %v; want false, true", ready, ok)
	}
	start := time.Now()
	if ready, woken, _ := w.wait(30 * time.Millisecond); ready || woken {
		t.Fatalf("wait(30ms) on an empty pipe = %v, %v", ready, woken)
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("returned before its timeout")
	}

	var b [64]byte
	for i := 0; i < 50; i++ {
		go func() {
			time.Sleep(time.Millisecond)
			syscall.Write(p[1], []byte("line\n"))
		}()
		if ready, woken, _ := w.wait(-1); !ready || woken {
			t.Fatalf("write %d: wait = %v, %v; want ready", i, ready, woken)
		}
		if ready, _, _ := w.wait(0); !ready {
			t.Fatalf("write %d: wait(0) does not see the line", i)
		}
		syscall.Read(p[0], b[:])
	}

	go func() {
		time.Sleep(20 * time.Millisecond)
		w.interrupt()
	}()
	if ready, woken, _ := w.wait(time.Hour); ready || !woken {
		t.Fatalf("interrupted during the wait: %v, %v; want woken", ready, woken)
	}
	w.interrupt()
	if ready, woken, _ := w.wait(-1); ready || !woken {
		t.Fatalf("interrupted before the wait: %v, %v; want woken", ready, woken)
	}
	// The interrupt's deadline is gone: the next wait waits for input.
	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Write(p[1], []byte("line\n"))
	}()
	if ready, woken, _ := w.wait(-1); !ready || woken {
		t.Fatalf("after an interrupt: %v, %v; want ready", ready, woken)
	}
	syscall.Read(p[0], b[:])

	// One deadline for several waits (the idle second): once it has
	// passed, each wait until it ends at once, never waits forever.
	until := time.Now().Add(10 * time.Millisecond)
	for i := 0; i < 3; i++ {
		if ready, woken, _ := w.waitUntil(until); ready || woken {
			t.Fatalf("wait %d until a passed deadline = %v, %v", i, ready, woken)
		}
	}

	allocs := testing.AllocsPerRun(20, func() { w.wait(0); w.wait(time.Millisecond) })
	if allocs != 0 {
		t.Errorf("wait allocates %v times", allocs)
	}

	// The end of input just after a wait timed out, before the next wait
	// began: the poller may see its edge before rc.Read, which forgets
	// it; the look before parking must catch it (it once did not).
	w.wait(time.Millisecond)
	syscall.Close(p[1])
	if ready, _, _ := w.wait(time.Hour); !ready {
		t.Fatal("the end of input must wake it (a read then returns 0)")
	}
}

// TestNestedWaiter: the waiter through the nested epoll instance (stdin
// not a pipe of the logger's own: a root-owned pipe under setuidgid, a
// socket) looks once before it parks and not after: input that came
// before the wait ends it at once, as does input or a wake-up during it;
// a wake-up is told from input before the wait, and, for a caller that
// reads stdin without a tee (exact), after it as well. A lost wake-up
// would hang a wait without a deadline: each runs under a bound far above
// the microseconds it needs (the failure is forever, not late).
func TestNestedWaiter(t *testing.T) {
	for _, exact := range []bool{false, true} {
		t.Run(fmt.Sprintf("exact=%v", exact), func(t *testing.T) {
			var in, wake [2]int
			for _, p := range []*[2]int{&in, &wake} {
				if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
					t.Fatal(err)
				}
				defer syscall.Close(p[0])
				defer syscall.Close(p[1])
			}
			w := newWaiter(in[0], wake[0])
			if w == nil {
				t.Fatal("no nested epoll")
			}
			defer w.close()
			w.exact = exact
			type result struct{ ready, woken bool }
			wait := func(what string, timeout time.Duration, during func()) result {
				t.Helper()
				done := make(chan result, 1)
				go func() {
					ready, woken, ok := w.wait(timeout)
					if !ok {
						t.Errorf("%s: the waiter failed", what)
					}
					done <- result{ready, woken}
				}()
				if during != nil {
					time.Sleep(5 * time.Millisecond) // most likely parked by now; either way the answer is the same
					during()
				}
				select {
				case r := <-done:
					return r
				case <-time.After(time.Minute):
					t.Fatalf("%s: the wait never ended (a lost wake-up)", what)
					return result{}
				}
			}
			var b [64]byte
			syscall.Write(in[1], []byte("before\n"))
			if r := wait("input before the wait", -1, nil); !r.ready {
				t.Errorf("input before the wait: %+v, want ready", r)
			}
			syscall.Read(in[0], b[:])
			if r := wait("input during the wait", -1, func() { syscall.Write(in[1], []byte("during\n")) }); !r.ready {
				t.Errorf("input during the wait: %+v, want ready", r)
			}
			syscall.Read(in[0], b[:])
			syscall.Write(wake[1], []byte{0})
			if r := wait("a wake-up before the wait", -1, nil); r.ready || !r.woken {
				t.Errorf("a wake-up before the wait: %+v, want woken only", r)
			}
			syscall.Read(wake[0], b[:])
			r := wait("a wake-up during the wait", -1, func() { syscall.Write(wake[1], []byte{0}) })
			if exact && (r.ready || !r.woken) {
				t.Errorf("a wake-up during the wait, exact: %+v, want woken only", r)
			}
			if !exact && !r.ready && !r.woken {
				t.Errorf("a wake-up during the wait: %+v, want it to end the wait", r)
			}
			syscall.Read(wake[0], b[:])
			if r := wait("a timeout", 20*time.Millisecond, nil); r.ready || r.woken {
				t.Errorf("a timeout: %+v, want neither", r)
			}
			allocs := testing.AllocsPerRun(20, func() { w.wait(0); w.wait(time.Millisecond) })
			if allocs != 0 {
				t.Errorf("wait allocates %v times", allocs)
			}
		})
	}
}
