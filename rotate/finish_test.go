package rotate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBurstOfRotations writes several queues' worth of rotations in one go,
// so the finisher takes them in batches while more wait, and checks that
// every archive ends up named .s, mode 744, and that the archives in name
// order, then current, hold the input exactly once and in order.
func TestBurstOfRotations(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	d, err := Open(dir, Config{Size: 4096, Num: 1000})
	require.NoError(t, err)
	var in bytes.Buffer
	for i := 0; in.Len() < 3*(queueLen(4096)+1)*4096; i++ {
		fmt.Fprintf(&in, "line %06d %s\n", i, strings.Repeat("x", i%97))
	}
	for p := in.Bytes(); len(p) > 0; {
		n := min(len(p), 1500)
		d.Write(p[:n])
		p = p[n:]
	}
	d.Close()

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var archives []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "@") {
			archives = append(archives, e.Name())
		}
	}
	sort.Strings(archives)
	require.Greater(t, len(archives), 2*queueLen(4096), "the burst must rotate more often than the queue holds")
	var got []byte
	for _, name := range archives {
		require.True(t, strings.HasSuffix(name, ".s"), "%s: not finished", name)
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0744), st.Mode().Perm(), name)
		require.LessOrEqual(t, st.Size(), int64(4096), name)
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		got = append(got, b...)
	}
	b, err := os.ReadFile(filepath.Join(dir, "current"))
	require.NoError(t, err)
	got = append(got, b...)
	require.True(t, bytes.Equal(in.Bytes(), got), "archives and current differ from the input")
}

// TestRotationGarbage guards what a rotation leaves for the collector:
// nothing allocates while a logger idles, so whatever rotations allocate
// stays resident until the next collection (see multilog's collectAfter).
// Listing the logdir to prune with os.File.Readdirnames cost ~4.6 kB a
// rotation; getdents into the Dir's own buffer, ~0.4 kB.
func TestRotationGarbage(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "log"), Config{Size: 4096, Num: 10})
	require.NoError(t, err)
	line := append(bytes.Repeat([]byte("x"), 99), '\n')
	rotateOnce := func() {
		for range 41 {
			d.Write(line)
		}
		d.Flush()
	}
	for range 20 { // the buffers and queues reach their size
		rotateOnce()
	}
	const rotations = 500
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range rotations {
		rotateOnce()
	}
	d.Close()
	runtime.ReadMemStats(&after)
	perRotation := (after.TotalAlloc - before.TotalAlloc) / rotations
	t.Logf("%d bytes allocated per rotation", perRotation)
	require.Less(t, perRotation, uint64(1024))
}

// TestBatchSyncsOnlyWhatIsKept: while the disk is slow (the first fsync
// is held up), 200 rotations queue behind it. The next batch prunes first:
// with n3 only the two newest are fsynced and renamed .s, instead of an
// fsync for each of the 200 (as before batches pruned first), and the
// logdir ends with the newest archives, complete, and current.
func TestBatchSyncsOnlyWhatIsKept(t *testing.T) {
	var syncs atomic.Int32
	hold := make(chan struct{})
	orig := syncArchive
	syncArchive = func(f *os.File) error {
		if syncs.Add(1) == 1 {
			<-hold
		}
		return orig(f)
	}
	defer func() { syncArchive = orig }()

	dir := filepath.Join(t.TempDir(), "log")
	d, err := Open(dir, Config{Size: 4096, Num: 3})
	require.NoError(t, err)
	const rotations = 201
	require.Less(t, rotations, queueLen(4096)+1, "the rotations must not wait for the finisher")
	for i := range rotations {
		d.Write(fmt.Appendf(nil, "line %03d\n", i))
		d.Rotate()
	}
	close(hold)
	d.Write(fmt.Appendf(nil, "line %03d\n", rotations))
	d.Close()
	// Two batches: the first (the rotations the finisher found at once,
	// held up on its first fsync), then all the rest. Each fsyncs at most
	// the n-1 = 2 newest; before, each file was fsynced (201).
	require.LessOrEqual(t, syncs.Load(), int32(2+2), "fsyncs")

	archives, err := Archives(dir)
	require.NoError(t, err)
	require.Len(t, archives, 2)
	for i, a := range archives {
		require.Equal(t, byte('s'), a.Code, a.Name)
		b, err := os.ReadFile(filepath.Join(dir, a.Name))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("line %03d\n", rotations-2+i), string(b), a.Name)
	}
	b, err := os.ReadFile(filepath.Join(dir, "current"))
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("line %03d\n", rotations), string(b))
}
