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
	// A caller that reads stdin after a wait (exact); the tee path's
	// looser answers are TestNestedWaiter's.
	w.exact = true

	ready, woken, ok := w.wait(0)
	require.True(t, ok)
	require.False(t, ready || woken, "nothing written yet")

	start := time.Now()
	ready, woken, _ = w.wait(30 * time.Millisecond)
	require.False(t, ready || woken)
	require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond, "returned before its timeout")

	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Write(in[1], []byte("line\n"))
	}()
	ready, woken, _ = w.wait(-1)
	require.True(t, ready)
	require.False(t, woken)
	ready, _, _ = w.wait(-1) // level-triggered: still there until read
	require.True(t, ready)
	var b [16]byte
	syscall.Read(in[0], b[:])

	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Write(wake[1], []byte{0})
	}()
	ready, woken, _ = w.wait(time.Hour) // woken long before
	require.False(t, ready)
	require.True(t, woken)
	syscall.Read(wake[0], b[:])

	// Waiting comes once per chunk of input: it must not allocate either,
	// looking or parked until a timeout.
	allocs := testing.AllocsPerRun(20, func() { w.wait(0); w.wait(time.Millisecond) })
	require.Zero(t, allocs)

	syscall.Close(in[1])
	in[1] = -1
	ready, _, _ = w.wait(time.Hour)
	require.True(t, ready, "the end of input must wake it (a read then returns 0)")

	w.ep.Close() // a broken waiter says so at once, so input falls back to ppoll
	start = time.Now()
	_, _, ok = w.wait(time.Hour)
	require.False(t, ok)
	require.Less(t, time.Since(start), time.Minute, "it waited for the timeout")
}
