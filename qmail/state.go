package qmail

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/mlog/mlog/internal/durable"
	"github.com/mlog/mlog/tai64"
)

// stateMagic is the version of a state file. Version 2 kept the counts
// as hash-table dumps, which a run had to rebuild whole: LoadState reads
// its cursor and open messages and drops its counts (a cumulative run then
// counts its range afresh, as for another range).
const (
	stateMagic  = "mlog-qmail-cursor 3"
	stateMagic2 = "mlog-qmail-cursor 2"
)

// ErrState reports a state file that cannot be read.
var ErrState = errors.New("invalid qmail cursor")

// State is what an incremental run carries to the next, as matchup
// carries its unfinished messages on descriptor 5: where reading stopped
// in each logdir (mlog query's cursor) and the messages and deliveries
// still open there.
type State struct {
	Magic      string         `json:"magic"`
	Query      string         `json:"query_cursor"`
	Seq        uint64         `json:"seq"`
	Messages   []stateMessage `json:"messages"`
	Deliveries []stateAttempt `json:"deliveries"`
	// Totals, for Config.Cumulative, are the counts so far.
	Totals *totals `json:"totals,omitempty"`

	path string // the file LoadState read it from
	same bool   // the file at path holds this state: Collect read nothing
}

type stateMessage struct {
	Seq      uint64     `json:"seq"`
	ID       uint64     `json:"id"`
	Start    tai64.Time `json:"start"`
	HasStart bool       `json:"has_start"`
	HasInfo  bool       `json:"has_info"`
	Bytes    uint64     `json:"bytes"`
	Sender   string     `json:"sender"`
	Qp       uint64     `json:"qp"`
	Uid      uint64     `json:"uid"`
	Bounced  bool       `json:"bounced"`
	Attempts [3]int     `json:"attempts"`
}

type stateAttempt struct {
	Delivery uint64     `json:"delivery"`
	MsgID    uint64     `json:"msg_id"`
	MsgSeq   uint64     `json:"msg_seq"` // 0: its message is not open
	Start    tai64.Time `json:"start"`
	Remote   bool       `json:"remote"`
	Recip    string     `json:"recip"`
}

// Save records j's open messages and deliveries in st.
func (j *Joiner) Save(st *State) {
	st.Magic, st.Seq = stateMagic, j.seq
	st.Messages, st.Deliveries = st.Messages[:0], st.Deliveries[:0]
	for _, m := range j.msgs {
		st.Messages = append(st.Messages, stateMessage{
			Seq: m.Seq, ID: m.ID, Start: m.Start, HasStart: m.HasStart, HasInfo: m.HasInfo,
			Bytes: m.Bytes, Sender: string(m.Sender), Qp: m.Qp, Uid: m.Uid, Bounced: m.Bounced,
			Attempts: m.Attempts,
		})
	}
	for _, a := range j.dels {
		sa := stateAttempt{Delivery: a.Delivery, MsgID: a.MsgID, Start: a.Start, Remote: a.Remote, Recip: string(a.Recip)}
		if a.Msg != nil {
			sa.MsgSeq = a.Msg.Seq
		}
		st.Deliveries = append(st.Deliveries, sa)
	}
}

// Restore opens in j, which must be new, the messages and deliveries st
// holds.
func (j *Joiner) Restore(st *State) {
	if st.Seq > j.seq {
		j.seq = st.Seq
	}
	bySeq := make(map[uint64]*Message, len(st.Messages))
	for _, sm := range st.Messages {
		m := &Message{
			Seq: sm.Seq, ID: sm.ID, Start: sm.Start, HasStart: sm.HasStart, HasInfo: sm.HasInfo,
			Bytes: sm.Bytes, Sender: []byte(sm.Sender), Qp: sm.Qp, Uid: sm.Uid, Bounced: sm.Bounced,
			Attempts: sm.Attempts,
		}
		j.msgs[m.ID] = m
		bySeq[m.Seq] = m
	}
	for _, sa := range st.Deliveries {
		a := &Attempt{Delivery: sa.Delivery, MsgID: sa.MsgID, Start: sa.Start, HasStart: true, Remote: sa.Remote, Recip: []byte(sa.Recip)}
		if m := bySeq[sa.MsgSeq]; m != nil && sa.MsgSeq != 0 {
			a.Msg = m
			m.open++
		}
		j.dels[a.Delivery] = a
	}
}

// A state file (version 3) is stateMagic and a newline, the length of
// the gob that follows as a uvarint, the State in gob, then, if it has
// Totals, their samples and top-list tables (nsections of them, in the
// order of totals.sec), each as its length in 8 bytes, little-endian, and
// its bytes:
//
//   - samples: their number, then each one's difference from the one
//     before (from 0 for the first), all uvarints: they are sorted, so
//     most take a byte or two;
//   - a table: each key, in the order of its bytes, as its length + 1, its
//     count and its bytes, then a 0.
//
// A run reads the gob only. The tables stay in the file: a run that read
// nothing new reports the lists and distributions the gob keeps from the
// run before; one that counted new keys or samples merges them with the
// file's sections they touch, in one pass over each, reading it in order,
// for its report, and notes the merge's edits; saving copies the file's
// sections with the edits made. Version 2 read every table into hash
// tables first: 3.3 s and 600 MB for a day of 3 million SMTP clients,
// before counting a line. Sorted tables merge in linear time with no
// hashing, so a key an attacker chose costs what any other does.

// nsections is how many sections a state file with Totals has.
const nsections = 8

// tables is where a state file's sections lie, read in place.
type tables struct {
	f   *os.File // the file LoadState read, still open
	sec [nsections]struct{ off, n int64 }
	buf []byte // for the readers of sections
	// edits, for each section merged for a report, are the changes the
	// merge makes to it: SaveState applies them (see writeSection).
	// They hold for the counts merged then: Stats finds them again.
	edits [nsections]*edits
}

// LoadState reads the state file at path; a missing file is an empty
// state (the first run). It reads the gob only and keeps the file open
// for the tables after it: a damaged table is found (ErrState) when a run
// reads it.
func LoadState(path string) (*State, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return &State{Magic: stateMagic}, nil
	}
	if err != nil {
		return nil, err
	}
	st, tabs, err := readState(f)
	if err != nil {
		f.Close()
		if err == ErrState {
			err = &os.PathError{Op: "read cursor", Path: path, Err: ErrState}
		}
		return nil, err
	}
	if tabs == nil {
		f.Close()
	}
	st.path = path
	return st, nil
}

// readState reads a state file's gob and finds its sections.
func readState(f *os.File) (*State, *tables, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := fi.Size()
	br := bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 64<<10)
	line, err := br.ReadSlice('\n')
	magic := string(bytes.TrimSuffix(line, []byte{'\n'}))
	if err != nil || magic != stateMagic && magic != stateMagic2 {
		return nil, nil, ErrState
	}
	head := int64(len(line))
	n, err := binary.ReadUvarint(br)
	if err != nil || n > uint64(size) {
		return nil, nil, ErrState
	}
	head += int64(len(binary.AppendUvarint(nil, n))) + int64(n)
	if head > size {
		return nil, nil, ErrState
	}
	g := make([]byte, n)
	if _, err := io.ReadFull(br, g); err != nil {
		return nil, nil, ErrState
	}
	st := &State{}
	if gob.NewDecoder(bytes.NewReader(g)).Decode(st) != nil || st.Magic != magic {
		return nil, nil, ErrState
	}
	if magic == stateMagic2 {
		st.Magic, st.Totals = stateMagic, nil
		return st, nil, nil
	}
	if st.Totals == nil {
		if head != size {
			return nil, nil, ErrState
		}
		return st, nil, nil
	}
	t := &tables{f: f}
	off := head
	for i := range t.sec {
		var b [8]byte
		if _, err := f.ReadAt(b[:], off); err != nil {
			return nil, nil, ErrState
		}
		n := binary.LittleEndian.Uint64(b[:])
		if n > uint64(size-off-8) {
			return nil, nil, ErrState
		}
		t.sec[i].off, t.sec[i].n = off+8, int64(n)
		off += 8 + int64(n)
	}
	if off != size {
		return nil, nil, ErrState
	}
	st.Totals.base = t
	return st, t, nil
}

// SaveState replaces the state file at path whole: written to a
// temporary file, fsynced, renamed over path, and the directory fsynced
// (google/renameio's order), so a crash leaves the old state or the new.
// A state Collect left as LoadState read it from path (nothing new read)
// is not written again.
func SaveState(path string, st *State) error {
	if st.same && st.path == path {
		return nil
	}
	var g bytes.Buffer
	if err := gob.NewEncoder(&g).Encode(st); err != nil {
		return err
	}
	t := st.Totals
	var secs [nsections]struct{ off, n int64 }
	err := durable.WriteFileFunc(path, func(f *os.File) error {
		w := bufio.NewWriterSize(f, 1<<20)
		// Where the next byte goes: what f has been given, and what w
		// holds for it.
		pos := func() (int64, error) {
			off, err := f.Seek(0, io.SeekCurrent)
			return off + int64(w.Buffered()), err
		}
		w.WriteString(stateMagic + "\n")
		w.Write(binary.AppendUvarint(nil, uint64(g.Len())))
		w.Write(g.Bytes())
		if t != nil {
			for i := range secs {
				w.Write(make([]byte, 8)) // the length, filled in below
				start, err := pos()
				if err != nil {
					return err
				}
				if err := t.writeSection(w, i); err != nil {
					return err
				}
				end, err := pos()
				if err != nil {
					return err
				}
				secs[i].off, secs[i].n = start, end-start
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
		for _, s := range secs {
			if s.off == 0 {
				continue
			}
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], uint64(s.n))
			if _, err := f.WriteAt(b[:], s.off-8); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	st.path, st.same = path, true
	if t != nil {
		// The file now holds the counts: the next Collect on st merges
		// with it.
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		if t.base != nil {
			t.base.f.Close()
		}
		t.base = &tables{f: f, sec: secs}
		t.delays, t.queue = nil, nil
		for _, c := range t.counters() {
			*c = newCounter()
		}
	}
	return nil
}

// totals is a [Collector]'s counts, for a cumulative cursor: with them a
// run goes on counting where the last one stopped, and reports what one
// run over everything read so far reports, percentiles included.
type totals struct {
	Range   string                `json:"range"` // the range and bucket width counted, see rangeKey
	Stats   Stats                 `json:"stats"` // the counters, and the last report's lists and distributions
	First   time.Time             `json:"first"`
	Last    time.Time             `json:"last"`
	Started bool                  `json:"started"`
	Hosts   map[string]*HostCount `json:"hosts"`
	Buckets []Bucket              `json:"buckets"`
	TopN    int                   `json:"top_n"` // the length of Stats' top lists: topN when saved

	// The big parts: the samples and tables of the state file read (base,
	// nil if none), and what was counted since (sorted by Stats), to be
	// merged with them.
	base                                                  *tables
	delays, queue                                         samples
	failures, deferrals, senders, rcpts, domains, clients *counter
}

// The sections of a state file, in order.
const (
	secDelays = iota
	secQueue
	secTables // failures, deferrals, senders, rcpts, domains, clients
)

// counters returns t's tables in their sections' order, with empty ones
// where t has none.
func (t *totals) counters() []**counter {
	cs := []**counter{&t.failures, &t.deferrals, &t.senders, &t.rcpts, &t.domains, &t.clients}
	for _, c := range cs {
		if *c == nil {
			*c = newCounter()
		}
	}
	return cs
}

// rangeKey names what a cumulative run counts: its range and buckets.
func rangeKey(cfg *Config) string {
	return cfg.Since.String() + " " + cfg.Until.String() + " " + strconv.FormatBool(cfg.HasUntil) + " " + cfg.By.String()
}

// samples are durations, delays or queue times.
type samples []time.Duration

// writeSection writes section i of t's state file: the base's merged with
// what was counted since, or the base's as it is if nothing was.
func (t *totals) writeSection(w *bufio.Writer, i int) error {
	var delta []time.Duration
	switch i {
	case secDelays:
		delta = t.delays
	case secQueue:
		delta = t.queue
	}
	var c *counter
	if i >= secTables {
		c = *t.counters()[i-secTables]
	}
	var base *secReader
	if b := t.base; b != nil {
		s := b.sec[i]
		if e := b.edits[i]; e != nil {
			return e.apply(w, b.f, s.off, s.n)
		}
		if len(delta) == 0 && (c == nil || c.len() == 0) {
			return copyRange(w, b.f, s.off, s.n)
		}
		base = b.reader(i)
	}
	if c == nil {
		slices.Sort(delta)
		var m sampleMerge
		return m.run(w, nil, base, delta)
	}
	return mergeTable(w, nil, base, c, c.sorted(), nil, nil)
}

// dist returns the distribution of the base's samples in section i and
// delta's (sorted), and, if keepSamples, the samples; stored is the
// base's, returned as it is if delta is empty. It keeps the merge's edits
// of the section for SaveState.
func (b *tables) dist(i int, delta []time.Duration, stored Dist) (Dist, []time.Duration, error) {
	if len(delta) == 0 && !keepSamples {
		return stored, nil, nil
	}
	m := sampleMerge{keep: keepSamples}
	var ed *edits
	if len(delta) > 0 {
		ed = &edits{}
		b.edits[i] = ed
	}
	err := m.run(nil, ed, b.reader(i), delta)
	if len(delta) == 0 {
		return stored, m.all, err
	}
	return m.dist(), m.all, err
}

// top returns the top n (all if 0) of the base's table in section i and
// c's counts, summed; stored is the base's top n (nil if it kept no list
// of that length), returned as it is if c is empty. It keeps the merge's
// edits of the section for SaveState.
//
// For n > 0 only the keys c counted and those of stored can make the new
// top n. Counts only grow, so a key c did not count has its old count. If
// stored holds fewer than n keys, it holds every key the table had;
// otherwise a key not in it has the n keys of stored before it in the
// order (count, then key), and these now count at least as many as
// before: they stay before it, and it stays out. So the merge only looks
// up the old counts of c's keys, and nothing but c's keys (with their new
// counts) and stored's others (with their old ones) is offered.
func (b *tables) top(i int, c *counter, n int, stored []Count) ([]Count, error) {
	if c.len() == 0 && stored != nil {
		return stored, nil
	}
	t := topList{n: n}
	var ed *edits
	if c.len() > 0 {
		ed = &edits{}
		b.edits[i] = ed
	}
	if n == 0 || stored == nil {
		err := mergeTable(nil, ed, b.reader(i), c, c.sorted(), &t, nil)
		return t.list(), err
	}
	err := mergeTable(nil, ed, b.reader(i), c, c.sorted(), nil, &t)
	for _, x := range stored {
		if k := []byte(x.Key); !c.has(k) {
			t.offer(k, x.Count)
		}
	}
	return t.list(), err
}

// secReader reads a section of a state file in order, a chunk at a time:
// buf[i:] is read from the file and not yet taken. The merges below read
// buf directly, a number at a time, and write the entries they leave as
// they are straight from it, a run of them at a time.
type secReader struct {
	f        io.ReaderAt
	start    int64 // the section's offset in the file
	off, end int64 // the file's bytes not yet buffered
	buf      []byte
	i        int
	err      error
}

// pos returns the offset in the section of buf[i].
func (r *secReader) pos(i int) int64 { return r.off - int64(len(r.buf)) + int64(i) - r.start }

// reader returns a reader of section i. Readers share one buffer: one
// at a time.
func (b *tables) reader(i int) *secReader {
	s := b.sec[i]
	if b.buf == nil {
		b.buf = make([]byte, 0, secChunk)
	}
	return &secReader{f: b.f, start: s.off, off: s.off, end: s.off + s.n, buf: b.buf[:0]}
}

// left returns how many bytes of the section are still to take.
func (r *secReader) left() int64 { return r.end - r.off + int64(len(r.buf)-r.i) }

// fail records err (ErrState for a malformed section) and ends the
// section.
func (r *secReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.buf, r.i, r.off = r.buf[:0], 0, r.end
}

// finish ends a walk over r's section: it writes to w (if not nil)
// what is still to be written as it is, r.buf[run:r.i], and reports a
// failure, or bytes left after the section's last entry.
func (r *secReader) finish(w *bufio.Writer, run int) error {
	if w != nil {
		w.Write(r.buf[run:r.i])
	}
	if r.err != nil {
		return r.err
	}
	if r.left() != 0 {
		return ErrState
	}
	return nil
}

// secChunk is how much of a section a read takes.
const secChunk = 1 << 20

// fill buffers at least n bytes after i, or all that are left, moving
// buf[i:] to the start of buf.
func (r *secReader) fill(n int) {
	have := len(r.buf) - r.i
	if have >= n || r.off == r.end {
		return
	}
	size := int(min(int64(max(n, secChunk)), int64(have)+r.end-r.off))
	if cap(r.buf) < size {
		nb := make([]byte, have, size)
		copy(nb, r.buf[r.i:])
		r.buf = nb
	} else {
		r.buf = r.buf[:copy(r.buf, r.buf[r.i:])]
	}
	r.i = 0
	k := int(min(int64(cap(r.buf)-have), r.end-r.off))
	if _, err := r.f.ReadAt(r.buf[have:have+k], r.off); err != nil {
		r.fail(err)
		return
	}
	r.buf, r.off = r.buf[:have+k], r.off+int64(k)
}

// uint takes a uvarint.
func (r *secReader) uint() uint64 {
	r.fill(binary.MaxVarintLen64)
	x, k := binary.Uvarint(r.buf[r.i:])
	if k <= 0 {
		r.fail(ErrState)
		return 0
	}
	r.i += k
	return x
}

// copyRange copies n bytes of f from off to w (bufio.Writer's ReadFrom
// reads them straight into its buffer, or hands them to the file).
func copyRange(w *bufio.Writer, f io.ReaderAt, off, n int64) error {
	k, err := io.Copy(w, io.NewSectionReader(f, off, n))
	if err == nil && k < n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// edits are the changes a merge makes to a section, in the order of
// their offsets: each replaces skip bytes of the section at off with its
// n bytes of b. The merge for a report finds them, and saving applies
// them to the section, copying the bytes between as they are: no second
// pass over the section's entries.
type edits struct {
	at []edit
	b  []byte
}

type edit struct {
	off, skip int64
	n         int
}

func (e *edits) add(off, skip int64, b []byte) {
	e.at = append(e.at, edit{off, skip, len(b)})
	e.b = append(e.b, b...)
}

// apply writes to w the section of size bytes at start in f, edited.
func (e *edits) apply(w *bufio.Writer, f io.ReaderAt, start, size int64) error {
	var pos int64
	b := e.b
	for _, x := range e.at {
		if x.off < pos || x.off+x.skip > size {
			panic("qmail: edits out of order")
		}
		if err := copyRange(w, f, start+pos, x.off-pos); err != nil {
			return err
		}
		w.Write(b[:x.n])
		b, pos = b[x.n:], x.off+x.skip
	}
	return copyRange(w, f, start+pos, size-pos)
}

// sampleMerge walks a samples section merged with more samples, sorted,
// in order, for their distribution (and all of them if keep) and, when
// saving, to write them.
type sampleMerge struct {
	keep  bool
	all   []time.Duration
	n, k  int // samples in all, taken
	ranks [4]int
	at    [4]time.Duration
	p     int
	next  int // ranks[p], or -1 when all are taken
	sum   time.Duration
	last  time.Duration // the last taken
}

// ps are the percentiles of a Dist.
var ps = [4]int{50, 90, 95, 99}

// take takes d, the next sample. The compiler inlines it (go build
// -gcflags=-m says so), run's loop over a section included.
func (m *sampleMerge) take(d time.Duration) {
	m.sum += d
	if m.k == m.next {
		m.rank(d)
	}
	if m.keep {
		m.all = append(m.all, d)
	}
	m.k++
	m.last = d
}

// rank records d, the sample at index k, for the percentiles whose rank
// it is.
func (m *sampleMerge) rank(d time.Duration) {
	for m.p < len(m.ranks) && m.k == m.ranks[m.p] {
		m.at[m.p] = d
		m.p++
	}
	m.next = -1
	if m.p < len(m.ranks) {
		m.next = m.ranks[m.p]
	}
}

// dist returns the distribution of the samples taken, as Summarize does:
// percentiles nearest-rank.
func (m *sampleMerge) dist() Dist {
	if m.n == 0 {
		return Dist{}
	}
	return Dist{N: int64(m.n), Avg: m.sum / time.Duration(m.n), P50: m.at[0], P90: m.at[1], P95: m.at[2], P99: m.at[3], Max: m.last}
}

// run takes the samples of r (nil: none) merged with delta, writing them
// to w if not nil, and recording in ed, if not nil, the edits that make
// r's section the merged one. A base sample stays as it was written,
// unless a sample of delta went just before it: then its difference is
// from that one.
func (m *sampleMerge) run(w *bufio.Writer, ed *edits, r *secReader, delta []time.Duration) error {
	nb := 0
	if r != nil {
		// Each sample takes a byte at least: a damaged number cannot
		// make the walk or its slice long.
		x := r.uint()
		if r.err != nil || x > uint64(r.left()) {
			return ErrState
		}
		nb = int(x)
		if ed != nil {
			ed.add(0, r.pos(r.i), binary.AppendUvarint(nil, uint64(nb+len(delta))))
		}
	}
	m.n = nb + len(delta)
	for j, p := range ps {
		m.ranks[j] = (p*m.n+99)/100 - 1
	}
	m.next = m.ranks[0]
	if m.keep {
		m.all = make([]time.Duration, 0, m.n)
	}
	var buf []byte
	if w != nil {
		w.Write(binary.AppendUvarint(buf, uint64(m.n)))
	}
	if r != nil {
		var prev time.Duration // the base's sample before
		run := r.i             // r.buf[run:r.i] is to be written as it is
		for ; nb > 0; nb-- {
			if len(r.buf)-r.i < binary.MaxVarintLen64 {
				if w != nil {
					w.Write(r.buf[run:r.i])
				}
				r.fill(binary.MaxVarintLen64)
				run = r.i
			}
			s := r.i
			var x uint64
			var k int
			if s < len(r.buf) && r.buf[s] < 0x80 { // most: inlined
				x, k = uint64(r.buf[s]), 1
			} else {
				x, k = binary.Uvarint(r.buf[s:])
			}
			if k <= 0 || x > math.MaxInt64-uint64(prev) {
				r.fail(ErrState)
				break
			}
			r.i += k
			v := prev + time.Duration(x)
			prev = v
			if len(delta) > 0 && delta[0] < v {
				buf = buf[:0]
				for len(delta) > 0 && delta[0] < v {
					buf = binary.AppendUvarint(buf, uint64(delta[0]-m.last))
					m.take(delta[0])
					delta = delta[1:]
				}
				buf = binary.AppendUvarint(buf, uint64(v-m.last))
				if w != nil {
					w.Write(r.buf[run:s])
					w.Write(buf)
					run = r.i
				}
				if ed != nil {
					ed.add(r.pos(s), int64(k), buf)
				}
			}
			m.take(v)
		}
		if err := r.finish(w, run); err != nil {
			return err
		}
	}
	buf = buf[:0]
	for _, d := range delta {
		buf = binary.AppendUvarint(buf, uint64(d-m.last))
		m.take(d)
	}
	if w != nil {
		w.Write(buf)
	}
	if ed != nil && r != nil && len(buf) > 0 {
		ed.add(r.pos(r.i), 0, buf)
	}
	return nil
}

// mergeTable walks a table section r (nil: none) merged with c's counts
// (order: c's entries in their keys' order), a key in both once with its
// counts summed. It writes the merged table to w if not nil, records in
// ed, if not nil, the edits that make r's section the merged one, offers
// every key to all if not nil, and c's keys to touched if not nil. An
// entry of r that c did not count is written as it was, straight from r's
// buffer.
func mergeTable(w *bufio.Writer, ed *edits, r *secReader, c *counter, order []uint32, all, touched *topList) error {
	var buf []byte
	var at, skip int64 // where in r's section put's entry goes, and what it replaces
	put := func(key []byte, count int64) {
		if w != nil || ed != nil {
			buf = binary.AppendUvarint(buf[:0], uint64(len(key))+1)
			buf = binary.AppendUvarint(buf, uint64(count))
			buf = append(buf, key...)
		}
		if w != nil {
			w.Write(buf)
		}
		if ed != nil && r != nil {
			ed.add(at, skip, buf)
		}
		if all != nil {
			all.offer(key, count)
		}
		if touched != nil {
			touched.offer(key, count)
		}
	}
	if r != nil {
		var prev, saved []byte // the entry before's key, for the order check
		run := r.i             // r.buf[run:r.i] is to be written as it is
		// refill buffers at least n bytes of the entry at r.i, writing
		// the run before it first, and keeping prev.
		refill := func(n int) {
			if w != nil {
				w.Write(r.buf[run:r.i])
			}
			if prev != nil {
				saved = append(saved[:0], prev...)
				prev = saved
			}
			r.fill(n)
			run = r.i
		}
		for {
			if len(r.buf)-r.i < 2*binary.MaxVarintLen64 {
				refill(2 * binary.MaxVarintLen64)
			}
			s := r.i
			var n, count uint64
			var k1, k2 int
			if s+1 < len(r.buf) && r.buf[s] < 0x80 && r.buf[s+1] < 0x80 { // most: inlined
				n, count, k1, k2 = uint64(r.buf[s]), uint64(r.buf[s+1]), 1, 1
			} else {
				n, k1 = binary.Uvarint(r.buf[s:])
				if k1 > 0 && n > 0 {
					count, k2 = binary.Uvarint(r.buf[s+k1:])
				}
			}
			if k1 <= 0 {
				r.fail(ErrState)
				break
			}
			if n == 0 { // the end
				if w != nil {
					w.Write(r.buf[run:s])
				}
				at, skip = r.pos(s), 0
				run, r.i = s+k1, s+k1
				break
			}
			if k2 <= 0 || count == 0 || count > math.MaxInt64 || n-1 > uint64(r.left()) {
				r.fail(ErrState)
				break
			}
			size := k1 + k2 + int(n-1)
			if len(r.buf)-s < size {
				refill(size)
				if s = r.i; len(r.buf)-s < size {
					r.fail(ErrState)
					break
				}
			}
			key := r.buf[s+k1+k2 : s+size]
			if prev != nil && bytes.Compare(prev, key) >= 0 {
				r.fail(ErrState)
				break
			}
			prev = key
			r.i = s + size
			old := int64(count)
			for len(order) > 0 {
				e := c.ent(int(order[0]))
				dk := c.key(e)
				cmp := bytes.Compare(dk, key)
				if cmp > 0 {
					break
				}
				order = order[1:]
				if w != nil {
					w.Write(r.buf[run:s])
					run = s
				}
				at, skip = r.pos(s), 0
				if cmp == 0 {
					// Counted again: written with its new count.
					run = r.i
					old = -1
					skip = int64(size)
					put(key, int64(count)+e.count)
					break
				}
				put(dk, e.count) // a new key
			}
			if old >= 0 && all != nil {
				all.offer(key, old)
			}
		}
		if err := r.finish(w, run); err != nil {
			return err
		}
	}
	for _, k := range order {
		e := c.ent(int(k))
		put(c.key(e), e.count)
	}
	if w != nil {
		w.WriteByte(0)
	}
	return nil
}

// save returns c's counts, and s, the report on them, for the next run.
func (c *Collector) save(key string, s *Stats) *totals {
	t := &totals{
		Range: key, Stats: *s, First: c.s.First, Last: c.s.Last, Started: !c.first,
		delays: c.delays, queue: c.queue,
		failures: c.failures, deferrals: c.deferrals, senders: c.senders,
		rcpts: c.rcpts, domains: c.domains, clients: c.clients,
		Hosts: c.hosts, Buckets: c.buckets,
	}
	t.Stats.Series, t.Stats.Hosts = nil, nil // made again from Buckets and Hosts
	t.TopN = topN
	if c.base != nil {
		t.base = c.base.base
	}
	return t
}

// restore sets c's counts to t's.
func (c *Collector) restore(t *totals) {
	c.base = t
	c.s = t.Stats
	c.s.First, c.s.Last, c.first = t.First, t.Last, !t.Started
	c.delays, c.queue, c.buckets = t.delays, t.queue, t.Buckets
	t.counters() // none nil: a state file read holds none
	c.failures, c.deferrals, c.senders = t.failures, t.deferrals, t.senders
	c.rcpts, c.domains, c.clients = t.rcpts, t.domains, t.clients
	if t.Hosts != nil {
		c.hosts = t.Hosts
	}
}
