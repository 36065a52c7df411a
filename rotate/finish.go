package rotate

import (
	"errors"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/mlog/mlog/tai64"
)

// finisher turns rotated files into archives in the background: fsync,
// mode 744, the rename from @<stamp>.u to @<stamp>.s, the logdir fsync, then
// compression and pruning. The fsync part holds input up only when more
// than queueLen rotated files are waiting for it; compression holds it
// up only when more than compressBacklog archives of this run wait for it
// (see [finisher.reserve]).
type finisher struct {
	d    *Dir
	jobs chan finishJob
	done chan struct{}
	kick chan struct{}

	mu       sync.Mutex
	room     sync.Cond // signalled when waiting drops
	waiting  int       // 0 <= waiting <= compressBacklog: see reserve
	pending  []queued  // plain archives to compress, in name (time) order; the newest goes first
	inflight queued    // the archive being compressed; name "" when none
	child    *os.Process
	draining bool // stop has begun: a failed compression is not retried

	batch []finishJob // finishBatch's, kept to not allocate per rotation
}

// queued is a plain archive waiting for compression.
type queued struct {
	name string
	// fresh: rotated by this run and counted in waiting, until its
	// compression is done, given up, or pruning takes it.
	fresh bool
}

// finishQueue is how many rotated files may wait for their fsync, beside
// the batch being synced, before a rotation holds input up: finishQueue
// files, or as many as make finishQueueBytes at a small s (167 at the
// default s99999), at most finishQueueMax. Input can then outrun the disk
// for a burst (256 MB at the largest s, 16 MB at small ones) and runs at
// the disk's pace beyond it; a deep queue at a small s also lets pruning
// take most of a burst before it is synced (see finishBatch). The cost is
// that a power failure can leave that many archives named .u (not known to
// be on disk) instead of one. A kill loses nothing either way: the page
// cache survives it, and the next start finishes them (recoverUnfinished).
const (
	finishQueue      = 16
	finishQueueBytes = 16 << 20
	finishQueueMax   = 256
)

// queueLen is the finisher's queue length for archives of size bytes.
func queueLen(size int64) int {
	n := finishQueue
	if size > 0 && finishQueueBytes/size > int64(n) {
		n = int(min(finishQueueBytes/size, finishQueueMax))
	}
	return n
}

// compressBacklog is how many archives rotated by this run may be plain at
// once in a compressing logdir (the one being compressed included); a
// rotation beyond it waits until one is compressed. Compression stays off
// the intake path while it keeps up, and when it cannot, input slows to its
// pace instead of plain archives filling a disk sized for compressed ones:
// a logdir needs at most current + compressBacklog plain archives + n
// compressed ones (n-1 kept and the one being written).
const compressBacklog = 2

type finishJob struct {
	f     *os.File
	stamp tai64.Time
	fresh bool // counted in the finisher's waiting (compressing logdirs)
	gone  bool // finishBatch: pruned before its rename
}

func newFinisher(d *Dir) *finisher {
	f := &finisher{d: d, jobs: make(chan finishJob, queueLen(d.cfg.Size)), done: make(chan struct{}), kick: make(chan struct{}, 1)}
	f.room.L = &f.mu
	for _, n := range d.pendingCompress {
		f.pending = append(f.pending, queued{name: n})
	}
	d.pendingCompress = nil
	go f.loop()
	return f
}

// reserve waits until fewer than compressBacklog archives of this run wait
// for compression, and counts one more: the rotation about to happen. Each
// reserve is matched by one release, when that archive is compressed, its
// compression given up, or pruning takes it.
func (f *finisher) reserve() {
	f.mu.Lock()
	for f.waiting >= compressBacklog {
		f.room.Wait()
	}
	f.waiting++
	f.mu.Unlock()
}

func (f *finisher) release(fresh bool) {
	if !fresh {
		return
	}
	f.mu.Lock()
	f.waiting--
	f.room.Signal()
	f.mu.Unlock()
}

// archive queues a rotated current, already renamed to @<stamp>.u.
func (f *finisher) archive(file *os.File, stamp tai64.Time, fresh bool) {
	f.jobs <- finishJob{f: file, stamp: stamp, fresh: fresh}
}

// compress queues a finished plain archive for compression.
func (f *finisher) compress(name string, fresh bool) {
	if name == "" || f.d.cfg.Compression == None {
		f.release(fresh)
		return
	}
	f.mu.Lock()
	i := sort.Search(len(f.pending), func(i int) bool { return f.pending[i].name >= name })
	f.pending = append(f.pending, queued{})
	copy(f.pending[i+1:], f.pending[i:])
	f.pending[i] = queued{name, fresh}
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// pruned takes an archive that pruning removed out of the compression
// queue, and stops its compression if it is under way: compression and
// pruning tell one story, and no work is spent on what pruning took.
// Called with d.pruneMu held.
func (f *finisher) pruned(name string) {
	if f == nil {
		return // Open: the queue is not made yet
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inflight.name == name {
		if f.child != nil {
			f.child.Kill() // compressed() sees the archive gone and cleans up
		}
		return
	}
	for i, q := range f.pending {
		if q.name == name {
			f.pending = append(f.pending[:i], f.pending[i+1:]...)
			if q.fresh {
				f.waiting--
				f.room.Signal()
			}
			return
		}
	}
}

// stop finishes every queued file and every queued compression (at most
// the n-1 archives a logdir keeps), and returns when the finisher has
// exited. A kill instead leaves the queue to the next Open.
func (f *finisher) stop() {
	close(f.jobs)
	<-f.done
}

type compressResult struct {
	c   *compression
	err error
}

func (f *finisher) loop() {
	defer close(f.done)
	results := make(chan compressResult, 1)
	busy := false
	for {
		// Files waiting for fsync come first: input may be waiting on them.
		// Only when none wait does a compression start.
		var j finishJob
		got, ok := false, false
		select {
		case j, ok = <-f.jobs:
			got = true
		default:
			if !busy {
				busy = f.startNext(results)
			}
			select {
			case j, ok = <-f.jobs:
				got = true
			case r := <-results:
				busy = false
				f.compressed(r)
			case <-f.kick:
			}
		}
		if !got {
			continue
		}
		if !ok {
			f.drain(busy, results)
			return
		}
		f.finishBatch(j)
	}
}

// next takes the newest archive waiting for compression: under sustained
// input the oldest are the ones pruning takes next, so work spent on them
// is the most likely to be wasted.
func (f *finisher) next() (queued, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.pending)
	if n == 0 {
		return queued{}, false
	}
	q := f.pending[n-1]
	f.pending = f.pending[:n-1]
	f.inflight = q
	return q, true
}

// startNext starts compressing the newest queued archive, if any, and
// reports whether a compression is under way; its result arrives on
// results.
func (f *finisher) startNext(results chan<- compressResult) bool {
	for {
		q, ok := f.next()
		if !ok {
			return false
		}
		c, err := f.start(q)
		if err != nil {
			f.failed(c, err)
			continue
		}
		if c == nil {
			continue // not an archive to compress: done with it
		}
		go func() {
			st, err := c.p.Wait()
			if err == nil && !st.Success() {
				err = errors.New(st.String())
			}
			results <- compressResult{c, err}
		}()
		return true
	}
}

// finishBatch finishes j and every rotated file queued behind it, with one
// wait for the disk per batch rather than per file where it can:
//
//  1. prune first. Archives count whether named .u or .s, so pruning now
//     takes exactly the files it would take after the renames; a file it
//     takes needs no fsync, and its bytes, still in the page cache, never
//     reach the disk at all. Under a burst at a small s most of a deep
//     queue is pruned this way (with n10 at most 9 files of a batch live).
//  2. set mode 744 and start writeback of every file left, all at once, so
//     the disk works on them together;
//  3. fsync each of them: the first waits for the journal commit that
//     carries them all, the others find their data written;
//  4. only then rename them from .u to .s, and fsync the logdir once.
//
// So every file is on disk before it is named .s, as multilog's fsync
// then rename, and the names themselves are on disk when the batch is done.
func (f *finisher) finishBatch(j finishJob) {
	d := f.d
	batch := append(f.batch[:0], j)
	defer func() { clear(batch); f.batch = batch[:0] }()
more:
	for len(batch) <= cap(f.jobs) {
		select {
		case j, ok := <-f.jobs:
			if !ok { // stop: the loop sees it next
				break more
			}
			batch = append(batch, j)
		default:
			break more
		}
	}
	d.prune()
	live := batch[:0]
	for _, j := range batch {
		if unlinked(j.f) {
			j.f.Close()
			f.release(j.fresh)
			continue
		}
		u := ArchiveName(j.stamp, 'u')
		d.retry(func() error {
			if err := j.f.Chmod(0744); err != nil {
				return d.pathErr("set mode of", u, unwrapErrno(err))
			}
			return nil
		})
		startWriteback(j.f, 0, 0)
		live = append(live, j)
	}
	for _, j := range live {
		d.retry(func() error {
			if err := syncArchive(j.f); err != nil {
				return d.pathErr("write", ArchiveName(j.stamp, 'u')+" to disk", unwrapErrno(err))
			}
			return nil
		})
	}
	for i, j := range live {
		j.f.Close()
		u := ArchiveName(j.stamp, 'u')
		s := ArchiveName(j.stamp, 's')
		d.retry(func() error {
			err := d.rename(u, s)
			if errors.Is(err, fs.ErrNotExist) {
				live[i].gone = true // pruned meanwhile (by a processor's rotation)
				return nil
			}
			if err != nil {
				return &fs.PathError{Op: "rename " + u + " to " + s + " in directory", Path: d.name, Err: unwrapErrno(err)}
			}
			return nil
		})
	}
	if len(live) > 0 {
		d.syncDir()
	}
	for _, j := range live {
		if j.gone {
			f.release(j.fresh)
		} else {
			f.compress(ArchiveName(j.stamp, 's'), j.fresh)
		}
	}
}

// syncArchive makes a rotated file durable; tests count the calls.
var syncArchive = (*os.File).Sync

// unlinked reports whether f no longer has a name: pruning took it.
func unlinked(f *os.File) bool {
	var st syscall.Stat_t
	return syscall.Fstat(int(f.Fd()), &st) == nil && st.Nlink == 0
}

// drain runs the compressions still queued at stop, newest first, one at a
// time, each tried once: a failure (the helper missing, the disk full)
// leaves that archive plain for the next start, which queues every plain
// archive again.
func (f *finisher) drain(busy bool, results chan compressResult) {
	f.mu.Lock()
	f.draining = true
	f.mu.Unlock()
	if busy {
		f.compressed(<-results)
	}
	for {
		q, ok := f.next()
		if !ok {
			return
		}
		c, err := f.start(q)
		if err != nil {
			f.failed(c, err)
			continue
		}
		if c == nil {
			continue
		}
		st, err := c.p.Wait()
		if err == nil && !st.Success() {
			err = errors.New(st.String())
		}
		f.compressed(compressResult{c, err})
	}
}

// recoverExtras finishes what mlog's own additions can leave behind after a
// crash: a compressor's temporary file, or a plain archive next to its
// finished compressed copy. Then it queues the plain archives that still
// need compressing. It only unlinks and lists names: nothing here opens a
// file that the logdir's owner may have made a link or a FIFO.
func (d *Dir) recoverExtras() {
	names, err := d.names()
	if err != nil {
		return
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	var plain []string
	for _, n := range names {
		if strings.HasPrefix(n, tempPrefix+"@") {
			d.root.Remove(n)
			continue
		}
		a, ok := ParseArchiveName(n)
		if !ok || a.Code != 's' || a.Compression != None {
			continue
		}
		if d.compressedCopy(have, n) {
			d.root.Remove(n)
			continue
		}
		plain = append(plain, n)
	}
	if d.cfg.Compression != None {
		sort.Strings(plain)
		d.pendingCompress = plain
	}
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// compressedCopy reports whether plain archive n has a finished compressed
// copy beside it: a regular file (not a link or FIFO someone put there).
func (d *Dir) compressedCopy(have map[string]bool, n string) bool {
	for _, c := range []Compression{Gzip, Zstd} {
		if !have[n+c.Ext()] {
			continue
		}
		if st, err := d.root.Lstat(n + c.Ext()); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}
