package multilog

import (
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWaiter(t *testing.T) {
	var in, wake [2]int
	require.NoError(t, syscall.Pipe2(in[:], syscall.O_CLOEXEC))
	require.NoError(t, syscall.Pipe2(wake[:], syscall.O_CLOEXEC))
	defer func() {
		for _, fd := range append(in[:], wake[:]...) {
			syscall.Close(fd)
		}
	}()
	w := newWaiter(in[0], wake[0])
	require.NotNil(t, w)
	defer w.close()

	ready, woken, ok := w.wait(0, true)
	require.True(t, ok)
	require.False(t, ready || woken, "nothing written yet")

	start := time.Now()
	ready, woken, _ = w.wait(30*time.Millisecond, true)
	require.False(t, ready || woken)
	require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond, "returned before its timeout")

	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Write(in[1], []byte("line\n"))
	}()
	ready, woken, _ = w.wait(-1, true)
	require.True(t, ready)
	require.False(t, woken)
	ready, _, _ = w.wait(-1, true) // level-triggered: still there until read
	require.True(t, ready)
	var b [16]byte
	syscall.Read(in[0], b[:])

	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Write(wake[1], []byte{0})
	}()
	ready, woken, _ = w.wait(time.Hour, true) // woken long before
	require.False(t, ready)
	require.True(t, woken)
	syscall.Read(wake[0], b[:])

	// Waiting comes once per chunk of input: it must not allocate either,
	// looking or parked until a timeout.
	allocs := testing.AllocsPerRun(20, func() { w.wait(0, true); w.wait(time.Millisecond, true) })
	require.Zero(t, allocs)

	syscall.Close(in[1])
	in[1] = -1
	ready, _, _ = w.wait(time.Hour, true)
	require.True(t, ready, "the end of input must wake it (a read then returns 0)")

	w.ep.Close() // a broken waiter says so at once, so input falls back to ppoll
	start = time.Now()
	_, _, ok = w.wait(time.Hour, true)
	require.False(t, ok)
	require.Less(t, time.Since(start), time.Minute, "it waited for the timeout")
}

// TestWaiterPark: a wait that does not look (the caller has just found
// input empty) parks at once, ends when input arrives or a signal's byte
// does, reports input ready either way, and times out as a looking wait
// does; a deadline once set does not cut a later unbounded wait short.
func TestWaiterPark(t *testing.T) {
	var in, wake [2]int
	require.NoError(t, syscall.Pipe2(in[:], syscall.O_CLOEXEC))
	require.NoError(t, syscall.Pipe2(wake[:], syscall.O_CLOEXEC))
	defer func() {
		for _, fd := range append(in[:], wake[:]...) {
			syscall.Close(fd)
		}
	}()
	w := newWaiter(in[0], wake[0])
	require.NotNil(t, w)
	defer w.close()

	ready, _, ok := w.wait(20*time.Millisecond, false)
	require.True(t, ok)
	require.False(t, ready, "nothing written: the deadline ends the wait")

	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Write(in[1], []byte("x\n"))
	}()
	ready, _, ok = w.wait(-1, false)
	require.True(t, ok)
	require.True(t, ready)
	var b [8]byte
	n, _ := syscall.Read(in[0], b[:])
	require.Equal(t, 2, n)

	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Write(wake[1], []byte{0})
	}()
	ready, _, ok = w.wait(-1, false)
	require.True(t, ok)
	require.True(t, ready, "any wake-up reads as ready: the caller finds out")

	allocs := testing.AllocsPerRun(20, func() { w.wait(time.Millisecond, false) })
	require.Zero(t, allocs)
}
