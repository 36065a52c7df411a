//go:build linux

package supervise

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// holdLock starts flock(1) holding dir/supervise/lock, with stdout on w,
// as a supervise left by another svscan holds its lock with the log pipe
// on its stdout. The returned func ends it.
func holdLock(t *testing.T, dir string, w *os.File) func() {
	t.Helper()
	flock, err := exec.LookPath("flock")
	if err != nil {
		t.Skip("flock(1) not installed")
	}
	if err := os.MkdirAll(dir+"/supervise", 0700); err != nil {
		t.Fatal(err)
	}
	// flock creates and locks the file, then runs cat, whose stdin is
	// a pipe the test holds: it ends when the test closes that.
	stop, hold, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(flock, "-n", dir+"/supervise/lock", "cat")
	cmd.Stdin = stop
	if w != nil {
		cmd.Stdout = w
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop.Close()
	done := false
	end := func() {
		if !done {
			done = true
			hold.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(end)
	// The lock is taken before cat runs; lockHolder tells when.
	dfd, err := openDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dfd)
	// flock exits at once if it cannot lock: a minute of tries is
	// a failure, however slow the machine.
	for i := 0; lockHolder(dfd, "supervise/lock") != cmd.Process.Pid; i++ {
		if i == 60000 {
			t.Fatal("flock did not take the lock")
		}
		unix.Nanosleep(&unix.Timespec{Nsec: 1e6}, nil)
	}
	return end
}

// TestAdoptPipe: svscan takes over the log pipe of a service whose
// supervise it did not start: what it writes into the pipe it adopted
// comes out of the pipe the old supervise had as stdout.
func TestAdoptPipe(t *testing.T) {
	scan := t.TempDir()
	os.MkdirAll(scan+"/a/log", 0755)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	holdLock(t, scan+"/a", w)
	w.Close()
	dfd, err := openDir(scan)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dfd)
	sc := &scanner{dfd: dfd}
	var s service
	if !sc.adoptPipe("a", &s) {
		t.Fatal("adoptPipe found no pipe")
	}
	defer unix.Close(s.pipe[0])
	defer unix.Close(s.pipe[1])
	if _, err := unix.Write(s.pipe[1], []byte("kept\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "kept\n" {
		t.Errorf("read %q from the old pipe, want %q", buf[:n], "kept\n")
	}
	if sc.adoptPipe("b", &s) {
		t.Error("adoptPipe found a pipe for a service nobody runs")
	}
}

// TestScanWaitsForHeldLock: while another supervise holds a service's
// lock, svscan says so once and starts nothing for it (daemontools' svscan
// starts a supervise that fails on the lock, with a message every 5 s);
// at the first scan after that supervise exits, it starts its own.
// Counted in scans, not in time.
func TestScanWaitsForHeldLock(t *testing.T) {
	scan := t.TempDir()
	os.MkdirAll(scan+"/a", 0755)
	started := filepath.Join(t.TempDir(), "started")
	fake := filepath.Join(t.TempDir(), "supervise")
	os.WriteFile(fake, []byte("#!/bin/sh\necho \"$1\" >>"+started+"\n"), 0755)
	end := holdLock(t, scan+"/a", nil)

	var mu sync.Mutex
	var warnings []string
	scans := 0
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		Scan(ScanConfig{Dir: scan, Supervise: fake, Env: []string{"PATH=/usr/bin:/bin"}, Interval: time.Millisecond, Done: done,
			Warn: func(err error) {
				mu.Lock()
				warnings = append(warnings, err.Error())
				mu.Unlock()
			},
			Idle: func() {
				scans++
				switch scans {
				case 5:
					// Five scans with the lock held: one note, no start.
					mu.Lock()
					if len(warnings) != 1 || !strings.Contains(warnings[0], "a is supervised by pid") {
						t.Errorf("warnings after 5 scans: %q, want one saying a is supervised", warnings)
					}
					mu.Unlock()
					if _, err := os.Stat(started); err == nil {
						t.Error("svscan started a supervise while another held the lock")
					}
					end()
				case 6:
					close(done)
				}
			}})
	}()
	<-ended
	// The fake supervise was started at scan 6; it appends before exiting,
	// and svscan reaps it only at the next scan, so wait for the file.
	for i := 0; ; i++ {
		if b, _ := os.ReadFile(started); string(b) == "a\n" {
			break
		} else if i == 10000 {
			t.Fatalf("supervise a not started after the lock was freed: %q", b)
		}
		unix.Nanosleep(&unix.Timespec{Nsec: 1e6}, nil)
	}
}
