package rotate

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSpliceOthersInTheWindow: another process's write or truncation that
// comes between Splice's seek to the end and the splice itself (the one
// instant a check cannot cover) is neither overwritten nor turned into a
// hole: the lease makes it wait until the splice is done. The test puts the
// other writer exactly there with the beforeSplice hook and lets the splice
// go on once the other has either finished (no lease: the bug) or is seen
// waiting on the lease.
func TestSpliceOthersInTheWindow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		other func(current string) error
		want  string
	}{
		{"append", func(current string) error {
			f, err := os.OpenFile(current, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString("NOTE\n")
			return err
		}, "one\ntwo\nNOTE\nthree\n"},
		{"truncate", func(current string) error { return os.Truncate(current, 0) }, "three\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, d, p := spliceSetup(t)
			current := filepath.Join(dir, "current")

			splice := func(text string) {
				t.Helper()
				syscall.Write(p[1], []byte(text))
				if n, ok, err := d.Splice(p[0], len(text)); !ok || err != nil || n != len(text) {
					t.Fatalf("Splice(%q) = %d, %v, %v", text, n, ok, err)
				}
			}
			splice("one\n")
			otherDone := make(chan error, 1)
			d.beforeSplice = func() {
				d.beforeSplice = nil
				// Whether the lease is held, read before the other can
				// start breaking it.
				fd := int(d.current.Fd())
				leased, _ := fcntl(fd, syscall.F_GETLEASE, 0)
				go func() { otherDone <- tc.other(current) }()
				for {
					select {
					case err := <-otherDone:
						otherDone <- err
						return
					default:
					}
					// A pending lease break: the other waits on us.
					if kind, err := fcntl(fd, syscall.F_GETLEASE, 0); leased == syscall.F_WRLCK && err == nil && kind != syscall.F_WRLCK {
						return
					}
					time.Sleep(time.Millisecond)
				}
			}
			splice("two\n")
			if err := <-otherDone; err != nil {
				t.Fatal(err)
			}
			// Whatever the other did, the next bytes go after it.
			splice("three\n")
			got, err := os.ReadFile(current)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.IndexByte(got, 0) >= 0 {
				t.Errorf("current holds NUL bytes: %q", got)
			}
			if string(got) != tc.want {
				t.Errorf("current = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSpliceWithoutLease: while another process holds current open, no
// lease can be had, and the bytes go through Write (SpliceRoom says 0)
// until leaseRetry more bytes were written; then splicing resumes.
func TestSpliceWithoutLease(t *testing.T) {
	dir, d, p := spliceSetup(t)
	reader, err := os.Open(filepath.Join(dir, "current"))
	if err != nil {
		t.Fatal(err)
	}
	syscall.Write(p[1], []byte("one\n"))
	if n, ok, err := d.Splice(p[0], 4); n != 0 || !ok || err != nil {
		t.Fatalf("Splice with a reader holding current = %d, %v, %v; want 0, true, nil", n, ok, err)
	}
	if room := d.SpliceRoom(); room != 0 {
		t.Fatalf("SpliceRoom = %d after a refused lease, want 0", room)
	}
	reader.Close()
	line := bytes.Repeat([]byte("x"), 1023)
	line = append(line, '\n')
	for i := 0; i < leaseRetry/len(line); i++ {
		d.Write(line)
	}
	d.Flush()
	if room := d.SpliceRoom(); room == 0 {
		t.Fatalf("SpliceRoom = 0 after %d bytes written, want splicing again", leaseRetry)
	}
	if n, ok, err := d.Splice(p[0], 4); n != 4 || !ok || err != nil {
		t.Fatalf("Splice after the reader closed = %d, %v, %v; want 4, true, nil", n, ok, err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "current"))
	if !bytes.HasSuffix(got, []byte("x\none\n")) {
		t.Errorf("current ends %q, want the written lines then the spliced one", got[max(0, len(got)-20):])
	}
}

// spliceSetup opens a logdir in a new directory and a pipe to splice from;
// both are closed when the test ends.
func spliceSetup(t *testing.T) (dir string, d *Dir, p [2]int) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "d")
	d, err := Open(dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if err := syscall.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(p[0]); syscall.Close(p[1]) })
	return dir, d, p
}

func fcntl(fd, cmd, arg int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(arg))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
