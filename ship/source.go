package ship

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// source reads one logdir through query.Run, as raw lines, and puts a
// message for each line into the window, with the position just after
// the line.
//
// query gives the exact position (device, inode, offset, time, count) only
// when it has flushed its output (Config.Save); ship needs the position of
// every line, to commit the cursor after the last line acknowledged. So a
// source takes each position query saves as a base and carries it forward
// line by line:
//
//   - Time and N (how many lines so far had exactly that time) as query
//     counts them: a line without a label takes the time of the line
//     before it.
//   - Offset as the base's offset plus the bytes received since: raw
//     output is the file's bytes, line for line. Once the lines come from
//     the next file, the offset is past the end of the base's file, which
//     a query resuming from it sees (the position's file is too short),
//     and it then resumes by time and count instead, as it does for a
//     compressed file. So the offset is never wrong, only sometimes not
//     usable.
type source struct {
	sh  *shipper
	idx int
	dir string // as given
	key string // filepath.Clean(dir), as cursors name logdirs
	f   *formatter
	st  *query.Stamper // the same reading of stamps as the query's

	start     query.Position // where the run starts, from the cursor
	haveStart bool

	cur       query.Cursor   // query's, for this logdir only
	base      query.Position // the last position query saved
	baseBytes int64          // recv when base was saved
	recv      int64          // bytes of complete lines received
	t         tai64.Time     // the last line's time
	n         int64          // lines so far with exactly time t
	part      []byte         // the start of a line not yet complete (see keep)
	partLen   int64          // its length so far
	last      uint64         // the sequence number of the last message put
	haveLast  bool
}

func newSource(sh *shipper, idx int, dir string, positions []query.Position) *source {
	s := &source{sh: sh, idx: idx, dir: dir, key: filepath.Clean(dir)}
	app := sh.cfg.App
	if app == "" {
		app = filepath.Base(s.key)
		if abs, err := filepath.Abs(s.key); err == nil {
			app = filepath.Base(abs)
		}
	}
	s.f = newFormatter(sh.cfg.Priority, sh.cfg.Hostname, app, sh.cfg.MaxSize)
	var zone query.WallZone
	if sh.cfg.Zone != nil {
		zone = sh.cfg.Zone // a nil *Zone inside the interface would not be UTC
	}
	s.st = query.NewStamper(zone)
	s.start = query.Position{Logdir: s.key}
	for _, p := range positions {
		if p.Logdir == s.key {
			s.start, s.haveStart = p, true
			s.cur.Positions = []query.Position{p}
		}
	}
	s.base = s.start
	if s.base.Ino != 0 && s.base.HeadLen == 0 && !plainFileThere(s.dir, s.base.Dev, s.base.Ino) {
		// query will resume by time: carry no offset forward. (With a
		// head, query finds the file compressed too.)
		s.base.Dev, s.base.Ino, s.base.Offset = 0, 0, 0
	}
	s.t, s.n = s.base.Time, s.base.N
	return s
}

// plainFileThere reports whether current or a plain archive of dir is
// the file dev, ino, as query looks for a cursor's file.
func plainFileThere(dir string, dev, ino uint64) bool {
	names := []string{"current", "previous", "processed"}
	if as, err := rotate.Archives(dir); err == nil {
		for _, a := range as {
			if a.Compression == rotate.None {
				names = append(names, a.Name)
			}
		}
	}
	for _, n := range names {
		var st syscall.Stat_t
		if syscall.Lstat(filepath.Join(dir, n), &st) == nil && uint64(st.Dev) == dev && uint64(st.Ino) == ino {
			return true
		}
	}
	return false
}

// run reads the logdir until ctx is done (or, with Once, to its end).
func (s *source) run(ctx context.Context) error {
	cfg := query.Config{
		Follow: !s.sh.cfg.Once,
		Poll:   s.sh.cfg.Poll,
		Cursor: &s.cur,
		Save:   s.save,
		Warn:   s.sh.warn,

		Zone: s.sh.cfg.Zone,
	}
	_, err := query.Run(ctx, cfg, []string{s.dir}, s)
	if errors.Is(err, errStopped) || errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}

// save takes the position query saved as the new base.
func (s *source) save(c *query.Cursor) error {
	if s.partLen != 0 {
		panic("ship: query saved its cursor in the middle of a line")
	}
	for _, p := range c.Positions {
		if p.Logdir != s.key {
			continue
		}
		s.base, s.baseBytes = p, s.recv
		s.t, s.n = p.Time, p.N
		if s.haveLast && p.Ino != 0 {
			// The last line put is the one p is after: give it p's
			// file and offset, which it may lack.
			s.sh.w.exact(s.idx, s.last, p)
		}
	}
	return nil
}

// Write takes query's output: raw lines, each ending in a newline,
// possibly cut anywhere between two calls (a line longer than
// query.MaxLine comes in pieces).
func (s *source) Write(p []byte) (int, error) {
	n := len(p)
	if s.partLen > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.keep(p)
			return n, nil
		}
		s.keep(p[:i])
		if err := s.line(s.part, s.partLen); err != nil {
			return 0, err
		}
		s.part, s.partLen = s.part[:0], 0
		p = p[i+1:]
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.keep(p)
			break
		}
		if err := s.line(p[:i], int64(i)); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	s.sh.w.kick()
	return n, nil
}

// keep adds b to the line not yet complete, holding no more of it than
// a message can carry: a line can be far longer than memory.
func (s *source) keep(b []byte) {
	s.partLen += int64(len(b))
	if room := s.sh.cfg.MaxSize + keepSlack - len(s.part); room > 0 {
		s.part = append(s.part, b[:min(len(b), room)]...)
	}
}

// keepSlack is what a message leaves of a line beyond MaxSize: its stamp
// and the spaces after it, which are not sent.
const keepSlack = 64

// line puts one line (without its newline) into the window: text is its
// start, full its length.
func (s *source) line(text []byte, full int64) error {
	s.recv += full + 1
	t, n, stamped := s.st.Parse(text)
	if !stamped {
		t = s.t
	}
	if t == s.t {
		s.n++
	} else {
		s.t, s.n = t, 1
	}
	pos := query.Position{Logdir: s.key, Time: t, N: s.n}
	if s.base.Ino != 0 {
		pos.Dev, pos.Ino, pos.Offset = s.base.Dev, s.base.Ino, s.base.Offset+s.recv-s.baseBytes
		pos.HeadLen, pos.Head = s.base.HeadLen, s.base.Head
	}
	if !stamped {
		t = tai64.FromTime(s.sh.cfg.Now())
	}
	seq, err := s.sh.w.push(s.idx, &pos, text, t, n, s.f)
	s.last, s.haveLast = seq, err == nil
	return err
}

// lockCursor takes an exclusive lock on path + ".lock", as multilog locks
// a logdir (lock_exnb): the cursor itself is replaced by rename, so it
// cannot hold the lock.
func lockCursor(path string) (unlock func(), err error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, &OpError{Op: "lock", Path: name, Err: err}
	}
	return func() { f.Close() }, nil
}
