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
// compression and pruning. Only the first part holds input up, and only when
// more than finishQueue rotated files are waiting for their fsync.
type finisher struct {
	d    *Dir
	jobs chan finishJob
	done chan struct{}

	mu      sync.Mutex
	pending []string // plain archives waiting to be compressed, oldest first
	kick    chan struct{}
	batch   []finishJob // finishBatch's, kept to not allocate per rotation
}

// finishQueue is how many rotated files may wait for their fsync, beside
// the batch being synced, before a rotation holds input up. Input can then
// outrun the disk for a burst of 16 archives (256 MB at the largest s) and
// runs at the disk's pace beyond it; the cost is that a power failure can
// leave that many archives named .u (not known to be on disk) instead of
// one. A kill loses nothing either way: the page cache survives it.
const finishQueue = 16

type finishJob struct {
	f     *os.File
	stamp tai64.Time
}

func newFinisher(d *Dir) *finisher {
	f := &finisher{d: d, jobs: make(chan finishJob, finishQueue), done: make(chan struct{}), kick: make(chan struct{}, 1)}
	f.pending, d.pendingCompress = d.pendingCompress, nil
	go f.loop()
	return f
}

// archive queues a rotated current, already renamed to @<stamp>.u.
func (f *finisher) archive(file *os.File, stamp tai64.Time) {
	f.jobs <- finishJob{file, stamp}
}

// compress queues a finished plain archive for compression.
func (f *finisher) compress(name string) {
	if f.d.cfg.Compression == None || name == "" {
		return
	}
	f.mu.Lock()
	f.pending = append(f.pending, name)
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
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
	name string
	err  error
}

func (f *finisher) loop() {
	defer close(f.done)
	var (
		child   *os.Process
		results = make(chan compressResult, 1)
	)
	for {
		// Files waiting for fsync come first: input may be waiting on them.
		select {
		case j, ok := <-f.jobs:
			if !ok {
				f.drain(child, results)
				return
			}
			f.finishBatch(j)
			continue
		default:
		}
		if child == nil {
			if name := f.next(); name != "" {
				var err error
				child, err = f.startCompressor(name)
				if err != nil {
					f.d.cfg.Warn(err)
					f.d.cfg.Sleep(pauseDelay)
					f.requeue(name)
					continue
				}
				go func(p *os.Process, name string) {
					st, err := p.Wait()
					if err == nil && !st.Success() {
						err = errors.New(st.String())
					}
					results <- compressResult{name, err}
				}(child, name)
			}
		}
		select {
		case j, ok := <-f.jobs:
			if !ok {
				f.drain(child, results)
				return
			}
			f.finishBatch(j)
		case r := <-results:
			child = nil
			f.compressed(r)
		case <-f.kick:
		}
	}
}

func (f *finisher) next() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pending) == 0 {
		return ""
	}
	name := f.pending[0]
	f.pending = f.pending[1:]
	return name
}

func (f *finisher) requeue(name string) {
	f.mu.Lock()
	f.pending = append([]string{name}, f.pending...)
	f.mu.Unlock()
}

// finishBatch finishes j and every rotated file queued behind it. Their
// writeback is started all at once before the first fsync waits, so the
// disk works on all of them together instead of one file at a time.
func (f *finisher) finishBatch(j finishJob) {
	batch := append(f.batch[:0], j)
	defer func() { clear(batch); f.batch = batch[:0] }()
more:
	for len(batch) <= finishQueue {
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
	for _, j := range batch {
		startWriteback(j.f, 0, 0)
	}
	for _, j := range batch {
		f.finishRotated(j)
	}
}

// finishRotated makes a rotated file durable and names it .s.
func (f *finisher) finishRotated(j finishJob) {
	d := f.d
	u := ArchiveName(j.stamp, 'u')
	s := ArchiveName(j.stamp, 's')
	d.retry(func() error {
		if err := j.f.Chmod(0744); err != nil {
			return d.pathErr("set mode of", u, unwrapErrno(err))
		}
		return nil
	})
	d.retry(func() error {
		if err := j.f.Sync(); err != nil {
			return d.pathErr("write", u+" to disk", unwrapErrno(err))
		}
		return nil
	})
	j.f.Close()
	d.retry(func() error {
		err := d.rename(u, s)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return &fs.PathError{Op: "rename " + u + " to " + s + " in directory", Path: d.name, Err: unwrapErrno(err)}
		}
		return nil
	})
	d.syncDir()
	f.compress(s)
	d.prune()
}

// tempPrefix starts the names of files being written by the compressor.
// They do not start with '@', so multilog's pruning does not count them.
const tempPrefix = "tmp."

func (f *finisher) startCompressor(name string) (*os.Process, error) {
	d := f.d
	if len(d.cfg.CompressCommand) == 0 {
		return nil, &fs.PathError{Op: "compress", Path: d.name + "/" + name, Err: errors.New("no compressor configured")}
	}
	argv := append(append([]string(nil), d.cfg.CompressCommand...),
		d.cfg.Compression.String(), name, tempPrefix+name+d.cfg.Compression.Ext())
	// The compressor dies with multilog. Left running after a kill -9, it
	// could open its temporary file after the next multilog had started a
	// compressor of its own on the same archive: two writers on one file,
	// and a corrupt archive named as finished. (A processor is left alone,
	// as daemontools does: the next start's recovery does not reuse its
	// files.)
	p, err := startProcess(argv, d.name, []*os.File{nil, nil, d.cfg.Stderr}, &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL})
	if err != nil {
		return nil, &fs.PathError{Op: "run compressor for", Path: d.name + "/" + name, Err: unwrapErrno(err)}
	}
	return p, nil
}

// compressed puts a finished compression in place: the compressed file
// takes the archive's name plus its suffix, and the plain file goes. If the
// plain archive was pruned meanwhile, the compressed copy is dropped too.
func (f *finisher) compressed(r compressResult) {
	d := f.d
	tmp := tempPrefix + r.name + d.cfg.Compression.Ext()
	if r.err != nil {
		d.root.Remove(tmp)
		if _, err := d.root.Lstat(r.name); err != nil {
			return
		}
		d.cfg.Warn(&fs.PathError{Op: "compress", Path: d.name + "/" + r.name, Err: r.err})
		d.cfg.Sleep(pauseDelay)
		f.requeue(r.name)
		return
	}
	if _, err := d.root.Lstat(r.name); err != nil {
		d.root.Remove(tmp)
		return
	}
	final := r.name + d.cfg.Compression.Ext()
	d.retry(func() error {
		if err := d.root.Chmod(tmp, 0744); err != nil {
			return d.pathErr("set mode of", tmp, unwrapErrno(err))
		}
		return nil
	})
	d.retry(func() error {
		if err := d.rename(tmp, final); err != nil {
			return &fs.PathError{Op: "rename " + tmp + " to " + final + " in directory", Path: d.name, Err: unwrapErrno(err)}
		}
		return nil
	})
	d.retry(func() error {
		if err := d.root.Remove(r.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return d.pathErr("remove", r.name, unwrapErrno(err))
		}
		return nil
	})
	d.syncDir()
	d.prune()
}

// drain runs the compressions still queued at stop, one at a time.
func (f *finisher) drain(child *os.Process, results chan compressResult) {
	if child != nil {
		f.compressed(<-results)
	}
	for name := f.next(); name != ""; name = f.next() {
		p, err := f.startCompressor(name)
		if err != nil {
			f.d.cfg.Warn(err)
			return
		}
		st, err := p.Wait()
		if err == nil && !st.Success() {
			err = errors.New(st.String())
		}
		if err != nil {
			f.d.root.Remove(tempPrefix + name + f.d.cfg.Compression.Ext())
			f.d.cfg.Warn(&fs.PathError{Op: "compress", Path: f.d.name + "/" + name, Err: err})
			return
		}
		f.compressed(compressResult{name, nil})
	}
}

// recoverExtras finishes what mlog's own additions can leave behind after a
// crash: a compressor's temporary file, or a plain archive next to its
// finished compressed copy. Then it queues the plain archives that still
// need compressing.
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
		if have[n+Gzip.Ext()] || have[n+Zstd.Ext()] {
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
