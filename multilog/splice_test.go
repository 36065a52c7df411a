package multilog

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// spliceInput is random log lines, some longer than s (cut hard), and a last
// line without its newline.
func spliceInput(size int) []byte {
	rng := rand.New(rand.NewSource(1))
	var b bytes.Buffer
	for b.Len() < size {
		n := rng.Intn(120)
		if rng.Intn(50) == 0 {
			n = 3000 + rng.Intn(4000)
		}
		for i := 0; i < n; i++ {
			b.WriteByte('a' + byte(i%26))
		}
		b.WriteByte('\n')
	}
	b.WriteString("partial")
	return b.Bytes()
}

// logdirFiles is the logdir's archives in name order, then current.
func logdirFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, a := range archiveList(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, a.Name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	b, err := os.ReadFile(filepath.Join(dir, "current"))
	if err != nil {
		t.Fatal(err)
	}
	return append(out, string(b))
}

// runPipe runs a script over input written to a pipe in pieces of at most
// piece bytes (all at once before the run when piece is 0).
func runPipe(t *testing.T, args []string, input []byte, piece int, plain bool) []string {
	t.Helper()
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	args = append(append([]string(nil), args...), filepath.Join(dir, "d"))
	l, err := Open(Config{Script: mustParse(t, args), Stdin: r, Plain: plain})
	if err != nil {
		t.Fatal(err)
	}
	if !plain && l.direct == nil {
		t.Fatal("the script only copies bytes, yet the splice path is off")
	}
	if piece == 0 { // the whole input waits in the pipe before the run
		const fSetPipeSz = 1031
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), fSetPipeSz, 1<<20); e != 0 {
			t.Skip("cannot make a 1 MiB pipe:", e)
		}
		if _, err := w.Write(input); err != nil {
			t.Fatal(err)
		}
		w.Close()
		l.Run()
	} else {
		go func() {
			rng := rand.New(rand.NewSource(2))
			for p := input; len(p) > 0; {
				n := min(len(p), 1+rng.Intn(piece))
				w.Write(p[:n])
				p = p[n:]
				if rng.Intn(20) == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			w.Close()
		}()
		l.Run()
	}
	return logdirFiles(t, filepath.Join(dir, "d"))
}

// TestSplice checks the path that splices stdin into current, with the
// read-and-write path beside it: every byte once, in order, and multilog's
// rotation rule (files end on a newline within [s-2000, s], or are cut hard
// at s), whether the input is all there at once or trickles in. Where a
// file is cut inside the window depends on where reads end, on both paths,
// as it does in daemontools.
func TestSplice(t *testing.T) {
	input := spliceInput(600 << 10)
	want := string(input) + "\n"
	args := []string{"s5000", "n1000"}
	check := func(t *testing.T, files []string) {
		t.Helper()
		if got := strings.Join(files, ""); got != want {
			t.Fatalf("logdir holds %d bytes, want %d (the input and a newline)", len(got), len(want))
		}
		for i, f := range files[:len(files)-1] {
			if len(f) > 5000 || !strings.HasSuffix(f, "\n") && len(f) != 5000 || len(f) < 5000-2000 && !strings.HasSuffix(f, "\n") {
				t.Fatalf("archive %d has %d bytes, ends %q", i, len(f), f[max(0, len(f)-3):])
			}
		}
	}
	plain := runPipe(t, args, input, 0, true)
	check(t, plain)
	spliced := runPipe(t, args, input, 0, false)
	check(t, spliced)
	t.Run("trickle", func(t *testing.T) {
		check(t, runPipe(t, args, input, 7000, false))
	})
}
