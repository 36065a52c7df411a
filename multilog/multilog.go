package multilog

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/mlog/mlog/internal/pagebuf"
	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// readSize is how much input is read at once. daemontools reads 1024 bytes;
// ours asks for a quarter of the 1 MiB stdin pipe: with the logdirs' 256 KiB
// buffers, 23% faster than 64 KiB with t (benchmarks/multilog.sh), and the
// buffers' pages go back to the kernel when input idles (pagebuf).
const readSize = 256 << 10

// processorChunk is the most read at once when a logdir has a processor:
// less than the smallest file multilog rotates (s 4096 less its 2000-byte
// cut window), so a chunk sets off at most one rotation.
const processorChunk = 2048

// Config is one run of multilog.
type Config struct {
	Script *Script
	Stdin  io.Reader // an *os.File enables flush-before-block, signals and rotation by age
	Stderr io.Writer // for e
	// Signals delivers TERM and HUP (finish the line, then stop) and ALRM
	// (rotate every non-empty logdir). nil: no signals.
	Signals <-chan os.Signal
	// Logdir is applied to each logdir's settings from the script: the
	// hooks (Warn, Sleep, Now), Stderr and CompressCommand.
	Logdir rotate.Config
	// Now reads the clock for stamps; nil means time.Now.
	Now func() time.Time
	// Idle is called once input has been idle for one to two seconds
	// (and again after each later burst): the daemon can give memory back
	// then. nil: nothing.
	Idle func()
	// Trim is called now and then while input is busy (after the
	// trimFirst-th chunk, then every time the count doubles): the daemon
	// can drop memory a busy logger does not need, such as the mappings
	// of code only start-up ran. nil: nothing.
	Trim func()
	// Plain reads a pipe as daemontools does, taking bytes out before they
	// are written (a kill can lose up to one chunk), instead of the tee
	// path of peek.go.
	Plain bool
}

// Logger runs a script over an input stream.
type Logger struct {
	script *Script
	cfg    Config
	in     *input
	dirs   []*rotate.Dir
	status []*os.File  // one per action; non-nil for = actions
	byAge  bool        // some logdir rotates by age
	direct *rotate.Dir // the one logdir stdin is spliced into, if the script only copies bytes
	chunk  int         // the most read at once
	idled  bool        // Config.Idle has run since the last input
	idleAt time.Time   // the deadline of waitInput's idle wait
	chunks int         // read so far, for Config.Trim
	trimAt int         // Config.Trim's next chunk count

	rotationsAtIdle int // of all logdirs, at the last collection (see collectAfter)

	buf      []byte     // input, cap readSize
	stamp    []byte     // the stamp of the chunk being read, with its space
	stampT   tai64.Time // the time stamp says, for the logdirs' step-back check
	stampBuf [64]byte

	// The line in progress.
	state    lineState
	head     [maxHead]byte // the first bytes of the line, stamp included
	headLen  int           // 0 <= headLen <= maxHead
	headT    tai64.Time    // the time of the stamp in head
	selected []bool        // per logdir, for the line in progress
	alertBuf [maxAlertLine]byte
}

type lineState uint8

const (
	atStart lineState = iota // the next byte starts a line
	inHead                   // collecting the line's first maxHead bytes
	inTail                   // the line's selection is known; copying to its end
)

// Open sets up every =file and logdir of the script in order, finishing
// what a crash left behind, as multilog does before it reads any input.
// Errors are fatal (daemontools exits 111).
func Open(cfg Config) (*Logger, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Logger{script: cfg.Script, cfg: cfg, buf: pagebuf.New(readSize + maxHead), trimAt: trimFirst}
	l.status = make([]*os.File, len(l.script.Actions))
	for i, a := range l.script.Actions {
		if a.Kind != Status {
			continue
		}
		// As multilog: create with O_APPEND (so mode 600), then write in
		// place from offset 0; never truncated.
		f, err := os.OpenFile(a.Arg, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NONBLOCK, 0600)
		if err != nil {
			l.Close()
			return nil, &fs.PathError{Op: "create", Path: a.Arg, Err: errnoOf(err)}
		}
		f.Close()
		if f, err = os.OpenFile(a.Arg, os.O_WRONLY|syscall.O_NONBLOCK, 0); err != nil {
			l.Close()
			return nil, &fs.PathError{Op: "write", Path: a.Arg, Err: errnoOf(err)}
		}
		l.status[i] = f
	}
	for _, a := range l.script.Logdirs() {
		rc := a.Logdir
		rc.Warn, rc.Sleep, rc.Now = cfg.Logdir.Warn, cfg.Logdir.Sleep, cfg.Logdir.Now
		rc.Stderr, rc.CompressCommand = cfg.Logdir.Stderr, cfg.Logdir.CompressCommand
		d, err := rotate.Open(a.DirName, rc)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.dirs = append(l.dirs, d)
	}
	l.byAge = l.script.MaxAgeSet()
	l.chunk = readSize
	for _, a := range l.script.Logdirs() {
		if a.Logdir.Processor != "" {
			// Each rotation runs the processor, and TERM waits for the
			// chunk in hand: small chunks keep that to one rotation.
			l.chunk = processorChunk
		}
	}
	l.selected = make([]bool, len(l.dirs))
	for i := range l.selected {
		l.selected[i] = true
	}
	in, err := newInput(cfg.Stdin, cfg.Signals, cfg.Plain)
	if err != nil {
		l.Close()
		return nil, err
	}
	l.in = in
	if in.peek && l.script.Stamp == NoStamp && !l.script.Selecting && len(l.dirs) == 1 {
		l.direct = l.dirs[0]
	}
	return l, nil
}

func errnoOf(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// Run reads input to its end (or to a line end after TERM or HUP), then
// closes every logdir cleanly.
func (l *Logger) Run() {
	for {
		p := l.fill()
		if len(p) == 0 {
			break
		}
		if l.in.peek && l.in.term.Load() && l.state != atStart {
			// Finish the line and no more: the bytes after its newline
			// stay in the pipe for whoever reads it next.
			if i := bytes.IndexByte(p, '\n'); i >= 0 {
				l.in.teed -= len(p) - (i + 1)
				p = p[:i+1]
			}
		}
		l.idled = false
		l.setStamp()
		l.consume(p)
		if l.in.peek {
			// Written first, then taken out of the pipe: see peek.go.
			l.flush()
			l.in.consumed(l.heldBytes())
		}
		if l.chunks++; l.chunks == l.trimAt && l.cfg.Trim != nil {
			l.cfg.Trim()
			l.trimAt *= 2
		}
		if l.in.term.Load() && l.state == atStart {
			break
		}
	}
	l.endOfInput()
	l.Close()
}

// heldBytes is how many input bytes of the line in progress are held in
// memory, not yet written anywhere.
func (l *Logger) heldBytes() int {
	if l.state == inHead {
		return l.headLen - len(l.stamp)
	}
	return 0
}

// fill reads the next chunk, flushing every logdir first when the read
// would block, and acting on signals and rotation by age between reads. It
// returns nothing at the end of input.
func (l *Logger) fill() []byte {
	var idle time.Duration
	// The last tee emptied the pipe (peek path only, checked once: any
	// other read of the pipe since would make it stale), and the waiter
	// looks before it parks (waiter.look).
	drained := l.in.drained && l.in.w != nil && l.in.held == 0 && l.direct == nil
	l.in.drained = false
	for {
		if l.in.alrm.Swap(false) {
			for _, d := range l.dirs {
				d.Rotate()
			}
		}
		max := l.chunk
		if l.in.term.Load() {
			if l.state == atStart {
				return nil
			}
			// Finish the line, leaving the rest unread: byte by byte, as
			// daemontools does, unless the tee path can take back what
			// follows the newline (see Run).
			if !l.in.peek {
				max = 1
			}
		}
		if l.in.fd < 0 {
			l.flush()
			return l.buf[:l.in.read(l.buf[:max])]
		}
		if l.direct != nil && !l.in.term.Load() && l.direct.SpliceRoom() > 0 {
			switch n, eof := l.splice(); {
			case eof:
				return nil
			case n > 0:
				continue
			case l.direct == nil || l.direct.SpliceRoom() == 0:
				continue // the ordinary path from here (current is shared, or cannot take a splice)
			}
			l.flush()
			l.waitInput()
			continue
		}
		if !l.in.peek {
			if !l.in.ready(0) {
				l.flush()
				if !l.waitInput() {
					continue
				}
			}
			return l.buf[:l.in.read(l.buf[:max])]
		}
		if drained && !l.in.term.Load() {
			// More input is unlikely: wait at once, and let the waiter's
			// own look (which it needs) be the only one. Under a trickle
			// of lines, that saves a tee answering EAGAIN per wake-up.
			drained = false
			l.flush()
			l.waitInput()
			continue
		}
		// Tried first, without waiting: an empty pipe answers EAGAIN, so
		// a wake-up costs no poll of its own.
		var empty bool
		p, more := l.in.peekRead(l.buf, max, &empty)
		if !more {
			return nil
		}
		if empty {
			l.flush()
			l.waitInput()
			continue
		}
		if p == nil {
			l.flush()
			l.rotateDue()
			l.in.waitMore(&idle)
			continue
		}
		return p
	}
}

// splice moves what stdin holds straight into the direct logdir (see
// rotate.Dir.Splice), or, when the kernel cannot, turns the direct path off
// for good.
func (l *Logger) splice() (n int, eof bool) {
	if l.byAge {
		l.rotateDue() // before the bytes land, as consume does
	}
	n, ok, err := l.direct.Splice(l.in.fd, stdinPipeSize)
	if !ok {
		l.direct = nil
		return 0, false
	}
	if n > 0 {
		l.idled = false
		if l.direct.EndsLine() {
			l.state = atStart
		} else {
			l.state = inTail
		}
	}
	return n, err != nil
}

// collectAfter is how many rotations (each leaves a few hundred bytes of
// garbage: names, the new current) make it worth collecting the heap and
// giving it back to the kernel once input idles. Nothing allocates while
// the logger idles, so the collector would not run on its own and the
// garbage would stay resident, up to its 4 MB starting goal; a collection
// on a small heap costs ~200 kB of the collector's own memory, so it waits
// for about twice that in garbage.
const collectAfter = 1000

// trimFirst is the chunk after which Config.Trim is first called: by then
// start-up is long over, and a logger fed a trickle of lines (some hundred
// chunks a second) has run for seconds. Trimming again as the count
// doubles drops what rarer events (a rotation) touched, at a cost that
// vanishes over time.
const trimFirst = 512

// idleAfter is how long input must be idle before Config.Idle is called
// (up to twice that: see waitInput): long enough that a trickle of lines
// does not pay for it on every line.
const idleAfter = time.Second

// waitInput waits for input, rotating by age meanwhile and calling
// Config.Idle once input has been quiet for idleAfter. It returns false
// when woken without input (a signal, or a rotation deadline).
func (l *Logger) waitInput() bool {
	wait := time.Duration(-1)
	if l.byAge {
		wait = l.rotateDue()
	}
	if l.cfg.Idle != nil && !l.idled && (wait < 0 || wait > idleAfter) {
		// One deadline for many waits: when less than idleAfter is left,
		// it moves to twice that ahead. So input counts as idle after one
		// to two seconds of quiet, and a trickle of lines pays for a new
		// deadline (a timer) about once a second, not on every wait.
		if now := time.Now(); l.idleAt.Sub(now) < idleAfter {
			l.idleAt = now.Add(2 * idleAfter)
		}
		if l.in.readyUntil(l.idleAt, 0) {
			return true
		}
		if l.in.term.Load() || l.in.alrm.Load() || time.Now().Before(l.idleAt) {
			return false // woken early
		}
		l.idleAt = time.Time{}
		pagebuf.Release(l.buf)
		rotations := 0
		for _, d := range l.dirs {
			d.Idle()
			rotations += d.Rotations()
		}
		if rotations-l.rotationsAtIdle >= collectAfter {
			debug.FreeOSMemory()
			l.rotationsAtIdle = rotations
		}
		l.cfg.Idle()
		l.idled = true
		return false
	}
	return l.in.ready(wait)
}

// rotateDue rotates the logdirs whose current is old enough and returns how
// long until the next one is due (-1: none).
func (l *Logger) rotateDue() time.Duration {
	wait := time.Duration(-1)
	now := l.cfg.Now()
	for _, d := range l.dirs {
		due, at := d.Due(now)
		if due {
			d.Rotate()
			continue
		}
		if !at.IsZero() {
			if w := at.Sub(now); wait < 0 || w < wait {
				wait = w
			}
		}
	}
	return wait
}

func (l *Logger) flush() {
	for _, d := range l.dirs {
		d.Flush()
	}
}

// setStamp reads the clock once per chunk: every line that starts in it
// arrived at the same moment.
func (l *Logger) setStamp() {
	switch l.script.Stamp {
	case TAI64N:
		var b [tai64.LabelLen]byte
		l.stampT = tai64.Stamp(l.cfg.Now())
		l.stampT.Put(&b)
		l.stamp = append(append(l.stampBuf[:0], b[:]...), ' ')
	case ISO:
		t := l.cfg.Now().UTC().Truncate(time.Microsecond)
		l.stampT = tai64.Stamp(t) // the label of the same microsecond
		l.stamp = append(t.AppendFormat(l.stampBuf[:0], "2006-01-02T15:04:05.000000Z07:00"), ' ')
	}
}

// consume processes one chunk of input.
func (l *Logger) consume(p []byte) {
	if l.byAge && l.in.fd >= 0 {
		l.rotateDue()
	}
	if !l.script.Selecting {
		l.consumeAll(p)
		return
	}
	for len(p) > 0 {
		switch l.state {
		case atStart:
			l.headLen = copy(l.head[:], l.stamp)
			l.headT = l.stampT
			l.state = inHead
			fallthrough
		case inHead:
			room := maxHead - l.headLen
			q := p
			if len(q) > room {
				q = q[:room]
			}
			if i := bytes.IndexByte(q, '\n'); i >= 0 {
				l.headLen += copy(l.head[l.headLen:], q[:i])
				p = p[i+1:]
				l.decide()
				l.emitHead(true)
				l.state = atStart
				continue
			}
			l.headLen += copy(l.head[l.headLen:], q)
			p = p[len(q):]
			if l.headLen == maxHead {
				l.decide()
				l.emitHead(false)
				l.state = inTail
			}
		case inTail:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				l.emitSelected(p)
				return
			}
			l.emitSelected(p[:i+1])
			p = p[i+1:]
			l.state = atStart
		}
	}
}

// consumeAll is the path for scripts that never look at a line: every line
// goes to every logdir, so only line starts (for stamps) matter, and without
// a stamp the bytes pass straight through.
func (l *Logger) consumeAll(p []byte) {
	if len(l.stamp) == 0 {
		for _, d := range l.dirs {
			d.Write(p)
		}
		if p[len(p)-1] == '\n' {
			l.state = atStart
		} else {
			l.state = inTail
		}
		return
	}
	if l.state == inTail { // the end of a line begun in an earlier chunk
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			for _, d := range l.dirs {
				d.Write(p)
			}
			return
		}
		for _, d := range l.dirs {
			d.Write(p[:i+1])
		}
		p = p[i+1:]
		l.state = atStart
	}
	if len(p) > 0 {
		// Every line of the chunk has its stamp and goes to every
		// logdir: one check before the first is a check before each.
		for _, d := range l.dirs {
			d.Stamp(l.stampT)
		}
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		line := p
		if i >= 0 {
			line = p[:i+1]
		}
		for _, d := range l.dirs {
			d.WritePair(l.stamp, line)
		}
		p = p[len(line):]
		if i < 0 {
			l.state = inTail
		}
	}
}

// decide runs the script's actions over the head of the line in order:
// + and - change the selection, e and = act if the line is selected at
// that point, and each logdir takes the selection at its point.
func (l *Logger) decide() {
	line := l.head[:l.headLen]
	selected := true
	j := 0
	for i := range l.script.Actions {
		a := &l.script.Actions[i]
		switch a.Kind {
		case Select:
			if !selected && Match(a.Arg, line) {
				selected = true
			}
		case Deselect:
			if selected && Match(a.Arg, line) {
				selected = false
			}
		case Alert:
			if selected {
				l.alert(line)
			}
		case Status:
			if selected {
				l.writeStatus(i, line)
			}
		case Logdir:
			l.selected[j] = selected
			j++
		}
	}
}

// alert prints the line to stderr, at most 200 bytes and then "...".
func (l *Logger) alert(line []byte) {
	b := l.alertBuf[:0]
	if len(line) > alertMax {
		b = append(append(b, line[:alertMax]...), "...\n"...)
	} else {
		b = append(append(b, line...), '\n')
	}
	if l.cfg.Stderr != nil {
		l.cfg.Stderr.Write(b)
	}
}

// writeStatus writes exactly 1001 bytes at the start of the =file: the
// line's head padded with newlines.
func (l *Logger) writeStatus(i int, line []byte) {
	var b [statusLen]byte
	n := copy(b[:], line)
	for k := n; k < statusLen; k++ {
		b[k] = '\n'
	}
	f := l.status[i]
	for {
		w, err := f.WriteAt(b[:], 0)
		if err == nil && w == statusLen {
			return
		}
		if err == nil {
			err = io.ErrShortWrite
		}
		if l.cfg.Logdir.Warn != nil {
			l.cfg.Logdir.Warn(&fs.PathError{Op: "write", Path: l.script.Actions[i].Arg, Err: errnoOf(err)})
		}
		sleep := l.cfg.Logdir.Sleep
		if sleep == nil {
			sleep = time.Sleep
		}
		sleep(5 * time.Second)
	}
}

var newline = []byte{'\n'}

// emitHead writes the line's head to the logdirs that selected it, with the
// newline when the whole line fit in the head.
func (l *Logger) emitHead(withNewline bool) {
	stamped := len(l.stamp) > 0
	for j, d := range l.dirs {
		if l.selected[j] {
			if stamped {
				d.Stamp(l.headT)
			}
			d.Write(l.head[:l.headLen])
			if withNewline {
				d.Write(newline)
			}
		}
	}
}

func (l *Logger) emitSelected(p []byte) {
	for j, d := range l.dirs {
		if l.selected[j] {
			d.Write(p)
		}
	}
}

// endOfInput completes a partial last line with a newline, as multilog
// does.
func (l *Logger) endOfInput() {
	switch l.state {
	case inHead:
		l.decide()
		l.emitHead(true)
	case inTail:
		l.emitSelected(newline) // without selection every logdir is selected
	}
	l.state = atStart
}

// Close finishes every logdir (fsync, current mode 744) and closes the
// =files.
func (l *Logger) Close() {
	for _, d := range l.dirs {
		d.Close()
	}
	l.dirs = nil
	for i, f := range l.status {
		if f != nil {
			f.Close()
			l.status[i] = nil
		}
	}
	if l.in != nil {
		l.in.close()
	}
	pagebuf.Free(l.buf)
	l.buf = nil
}
