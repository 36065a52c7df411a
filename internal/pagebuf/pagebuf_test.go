package pagebuf

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// rss is the process's resident memory in kB.
func rss(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// TestRelease: a written buffer's pages count in the process's resident
// memory until Release, and the buffer works as new afterwards.
func TestRelease(t *testing.T) {
	const n = 32 << 20
	b := New(n)
	defer Free(b)
	before := rss(t)
	for i := range b {
		b[i] = 'x'
	}
	if grew := rss(t) - before; grew < n/1024/2 {
		t.Fatalf("resident memory grew %d kB after writing %d kB", grew, n/1024)
	}
	written := rss(t)
	Release(b)
	if shrank := written - rss(t); shrank < n/1024/2 {
		t.Fatalf("resident memory shrank %d kB after Release of %d kB", shrank, n/1024)
	}
	if b[0] != 0 || b[n-1] != 0 {
		t.Fatal("released buffer does not read zeros")
	}
	b[n-1] = 'y'
	if b[n-1] != 'y' {
		t.Fatal("released buffer not writable")
	}
}

// TestReleaseHeap: on a heap buffer only whole pages inside it are given
// back; the bytes around it are untouched.
func TestReleaseHeap(t *testing.T) {
	b := make([]byte, 3*4096+100)
	for i := range b {
		b[i] = 'x'
	}
	Release(b[10 : 10+2*4096+50])
	if b[0] != 'x' || b[9] != 'x' || b[len(b)-1] != 'x' {
		t.Fatal("bytes outside the released range changed")
	}
}
