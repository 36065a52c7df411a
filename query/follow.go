package query

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mlog/mlog/rotate"
)

// follow prints lines as they reach the logdirs, until ctx is done.
//
// Each logdir's current is followed by its open descriptor, not by its
// name. multilog finishes current by fsync, close, then a rename (or a
// link and an unlink), and only then creates a new current; so once the
// name current is another inode, the old one will not grow again, and
// reading it to its end before moving on loses and repeats nothing. The
// files that came after it are found by its inode among the archives, or,
// if it was compressed or pruned meanwhile, by time from the last line
// read.
func (q *query) follow(ctx context.Context) error {
	return q.followEach(ctx, q.take, q.flush)
}

// followEach is follow for any consumer: each new line goes to take, and
// flush is called whenever the lines there are now have all been taken.
func (q *query) followEach(ctx context.Context, take func(i int, l *Line) error, flush func() error) error {
	dirs := make([]string, len(q.streams))
	for i, s := range q.streams {
		dirs[i] = s.dir
	}
	poll := q.cfg.Poll
	if poll <= 0 {
		poll = time.Second
	}
	w, err := newWatcher(dirs)
	if err != nil {
		q.warn(&OpError{Op: "watch", Path: dirs[0], Err: err})
		w = nil
	}
	defer w.close()
	for {
		for _, s := range q.streams {
			if err := s.refresh(); err != nil {
				return err
			}
		}
		if err := q.merge(ctx, take); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		if err := w.wait(ctx, poll); err != nil {
			return nil
		}
	}
}

// refresh queues what is new in the logdir since the last look: the rest
// of the followed current, and if it was rotated, the files after it.
func (s *stream) refresh() error {
	cur := filepath.Join(s.dir, rotate.Current)
	var st syscall.Stat_t
	// Lstat: a current that is a symbolic link is not followed (openLogdir
	// skips it); its own inode is never the tail's.
	err := syscall.Lstat(cur, &st)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Between the rename of current and the creation of the next one.
	case err != nil:
		return &OpError{Op: "stat", Path: cur, Err: err}
	}
	rotated := err == nil && s.tail != nil && (uint64(st.Dev) != s.tail.dev || uint64(st.Ino) != s.tail.ino)
	if s.tail == nil {
		if err != nil {
			return nil
		}
		// No current was there at the start: take every file from here.
		return s.successors()
	}
	size, err := s.tail.f.Size()
	if err != nil {
		return &OpError{Op: "stat", Path: cur, Err: err}
	}
	tail := s.tail
	tail.size = size
	if debug {
		println("refresh", s.dir, "tail ino", tail.ino, "cur ino", st.Ino, "size", tail.size, "tailOff", s.tailOff, "rotated", rotated, "pos", s.pos.Time.String(), s.pos.N)
	}
	if rotated {
		tail.kind = kindPrevious // finished: its partial last line is final
		s.tail = nil
	}
	if tail.size > s.tailOff {
		s.files = append(s.files, tail)
		s.startFile, s.startOff, s.startTime = tail, s.tailOff, s.tailLast
	}
	if rotated {
		// Look for what came after it only once it has been read to its
		// end: if it is found by time, the time must be its last line's.
		// It stays open until then, so that its inode number cannot be
		// reused by a new file and found in its place.
		s.after = tail
	}
	return nil
}

// successorsOf queues the files written after old, which was current and
// has been read to its end. old is found among the archives by its inode,
// or, once it has been compressed (a new inode), by its first bytes: every
// file after it is then read whole, whatever its stamps, since our
// multilog names archives in the order it wrote them. Only when neither
// finds it (it was pruned, or a processor rewrote it) do the files after
// it go by time from its last line.
func (s *stream) successorsOf(old *logFile) error {
	files, err := openLogdir(s.dir, s.pos.Time, true, s.report)
	if err != nil {
		return err
	}
	if debug {
		for _, lf := range files {
			println("  successor candidate", lf.name, lf.ino, lf.size)
		}
	}
	defer old.close()
	i := -1
	for j, lf := range files {
		if lf.comp == rotate.None && lf.dev == old.dev && lf.ino == old.ino {
			i = j
			break
		}
	}
	if i < 0 {
		var buf [headSize]byte
		n, _ := old.f.ReadAt(buf[:min(old.size, headSize)], 0)
		if n > 0 {
			head := Position{HeadLen: int64(n), Head: headHash(buf[:n])}
			for j, lf := range files {
				if lf.f != nil && s.startsWith(lf, &head) {
					i = j
					break
				}
			}
		}
	}
	if i >= 0 {
		if debug {
			println("  found old", old.ino, "as", files[i].name)
		}
		for _, f := range files[:i+1] {
			f.close()
		}
		s.files = append(s.files, files[i+1:]...)
		return nil
	}
	// old is gone (pruned, or rewritten by a processor): go by time.
	if debug {
		println("  old", old.ino, "gone: skip to", s.pos.Time.String(), s.pos.N)
	}
	s.skip, s.skipTime, s.skipN = true, s.pos.Time, s.pos.N
	s.files = append(s.files, files...)
	return nil
}

// locate returns the index in files of the file pos is in, or -1: the
// file of pos's inode, if it holds pos (an inode number can be reused once
// its file is gone); else the first file that starts with pos's head and
// holds pos: the compressed archive made from pos's file, or, through a
// processor that copies its input, the archive it wrote. seen says some
// file had pos's inode or head: pos's file is still there, even if pos is
// not a line end in it (mlog ship carries a position's offset past the end
// of its file).
//
// A file holds pos if it starts with pos's head and, if plain, the line
// ending at pos.Offset has pos's time. A compressed archive is not read to
// pos.Offset here: if it ends before, the stream goes on by time from
// there (see next).
func (s *stream) locate(files []*logFile, pos *Position) (i int, seen bool) {
	if pos.Ino != 0 {
		for i, lf := range files {
			if lf.f != nil && lf.dev == pos.Dev && lf.ino == pos.Ino {
				if pos.HeadLen > 0 && !s.startsWith(lf, pos) {
					continue // the inode number was reused
				}
				seen = true
				if lf.comp != rotate.None && pos.HeadLen > 0 || lf.comp == rotate.None && checkPosition(lf, pos, s.st) {
					return i, true
				}
			}
		}
	}
	if pos.HeadLen == 0 {
		return -1, seen
	}
	for i, lf := range files {
		if lf.f != nil && s.startsWith(lf, pos) {
			seen = true
			if lf.comp != rotate.None || checkPosition(lf, pos, s.st) {
				return i, true
			}
		}
	}
	return -1, seen
}

// startsWith reports whether the first pos.HeadLen bytes of lf
// (decompressed) hash to pos.Head.
func (s *stream) startsWith(lf *logFile, pos *Position) bool {
	var buf [headSize]byte
	b := buf[:min(pos.HeadLen, headSize)]
	r := io.Reader(io.NewSectionReader(lf.f, 0, lf.size))
	if lf.comp != rotate.None {
		d, err := s.dec.reader(lf.comp, io.NewSectionReader(lf.f, 0, lf.size))
		if err != nil {
			return false
		}
		r = d
	}
	n, _ := io.ReadFull(r, b)
	return n == len(b) && headHash(b) == pos.Head
}

// successors queues the files of the logdir after the last line read:
// every file if none was read yet; else from the file that line is in (see
// locate), or, if it is gone, by time. A follow comes here when it had no
// current to follow: at the start, or when it looked between multilog's
// rename of current and its creation of the next one.
func (s *stream) successors() error {
	files, err := openLogdir(s.dir, s.pos.Time, true, s.report)
	if err != nil {
		return err
	}
	if s.pos.N > 0 || s.pos.Ino != 0 {
		if i, _ := s.locate(files, &s.pos); i >= 0 {
			for _, f := range files[:i] {
				f.close()
			}
			s.startFile, s.startOff, s.startTime = files[i], s.pos.Offset, s.pos.Time
			s.files = append(s.files, files[i:]...)
			return nil
		}
	}
	if s.pos.N > 0 {
		s.skip, s.skipTime, s.skipN = true, s.pos.Time, s.pos.N
	}
	s.files = append(s.files, files...)
	return nil
}

const debug = false
