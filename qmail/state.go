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
// file's in one pass, reading it in order, for its report, and in another
// when it saves. Version 2 read every table into hash tables first: 3.3 s
// and 600 MB for a day of 3 million SMTP clients, before counting a line.
// Sorted tables merge in linear time with no hashing, so a key an
// attacker chose costs what any other does.

// nsections is how many sections a state file with Totals has.
const nsections = 8

// tables is where a state file's sections lie, read in place.
type tables struct {
	f   *os.File // the file LoadState read, still open
	sec [nsections]struct{ off, n int64 }
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
		cw := &countWriter{w: f}
		w := bufio.NewWriterSize(cw, 1<<20)
		pos := func() int64 { return cw.n + int64(w.Buffered()) }
		w.WriteString(stateMagic + "\n")
		w.Write(binary.AppendUvarint(nil, uint64(g.Len())))
		w.Write(g.Bytes())
		if t != nil {
			for i := range secs {
				w.Write(make([]byte, 8)) // the length, filled in below
				secs[i].off = pos()
				if err := t.writeSection(w, i); err != nil {
					return err
				}
				secs[i].n = pos() - secs[i].off
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

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
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
// what was counted since (which Stats sorted), or the base's as it is if
// nothing was.
func (t *totals) writeSection(w *bufio.Writer, i int) error {
	var base *secReader
	if t.base != nil {
		base = t.base.reader(i)
	}
	if i < secTables {
		delta := t.delays
		if i == secQueue {
			delta = t.queue
		}
		if base != nil && len(delta) == 0 {
			return base.copyTo(w)
		}
		var buf []byte
		walk := newSampleWalk(base, delta)
		w.Write(binary.AppendUvarint(buf, uint64(walk.n)))
		var last time.Duration
		for walk.next() {
			buf = binary.AppendUvarint(buf[:0], uint64(walk.d-last))
			w.Write(buf)
			last = walk.d
		}
		return walk.err()
	}
	c := *t.counters()[i-secTables]
	if base != nil && c.len() == 0 {
		return base.copyTo(w)
	}
	walk := newTableWalk(base, c)
	var buf []byte
	for walk.next() {
		buf = binary.AppendUvarint(buf[:0], uint64(len(walk.key))+1)
		buf = binary.AppendUvarint(buf, uint64(walk.count))
		w.Write(buf)
		w.Write(walk.key)
	}
	w.WriteByte(0)
	return walk.err()
}

// dist returns the distribution of the base's samples of section i and
// delta's (sorted), and, if keepSamples, the samples; stored is the
// base's, returned as it is if delta is empty.
func (b *tables) dist(i int, delta []time.Duration, stored Dist) (Dist, []time.Duration, error) {
	if len(delta) == 0 && !keepSamples {
		return stored, nil, nil
	}
	walk := newSampleWalk(b.reader(i), delta)
	n := walk.n
	var all []time.Duration
	if keepSamples {
		all = make([]time.Duration, 0, n)
	}
	if n == 0 {
		return Dist{}, all, walk.err()
	}
	// Nearest-rank, as Summarize: the sample at index (p*n+99)/100-1.
	ps := [...]int{50, 90, 95, 99}
	var at [len(ps)]time.Duration
	var sum time.Duration
	k, p := 0, 0
	for walk.next() {
		sum += walk.d
		for p < len(ps) && k == (ps[p]*n+99)/100-1 {
			at[p] = walk.d
			p++
		}
		if keepSamples {
			all = append(all, walk.d)
		}
		k++
	}
	if err := walk.err(); err != nil {
		return Dist{}, nil, err
	}
	if len(delta) == 0 {
		return stored, all, nil
	}
	return Dist{N: int64(n), Avg: sum / time.Duration(n), P50: at[0], P90: at[1], P95: at[2], P99: at[3], Max: walk.d}, all, nil
}

// top returns the top n (all if 0) of the base's table in section i and
// c's counts, summed; stored is the base's, returned as it is if c is
// empty.
func (b *tables) top(i int, c *counter, n int, stored []Count) ([]Count, error) {
	if c.len() == 0 {
		if stored == nil {
			stored = []Count{} // as top returns: JSON [], not null
		}
		return stored, nil
	}
	walk := newTableWalk(b.reader(i), c)
	t := topList{n: n}
	for walk.next() {
		t.offer(walk.key, walk.count)
	}
	return t.list(), walk.err()
}

// secReader reads a section of a state file in order, a chunk at a time.
// A malformed or missing number reads as 0 and sets err to ErrState.
type secReader struct {
	f        io.ReaderAt
	off, end int64  // the file's bytes not yet buffered
	buf      []byte // buffered: buf[i:] not yet read
	i        int
	err      error
}

func (b *tables) reader(i int) *secReader {
	s := b.sec[i]
	return &secReader{f: b.f, off: s.off, end: s.off + s.n}
}

// left returns how many bytes of the section are still to read.
func (r *secReader) left() int64 { return r.end - r.off + int64(len(r.buf)-r.i) }

func (r *secReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// fill buffers at least n bytes, or all that are left.
func (r *secReader) fill(n int) {
	have := len(r.buf) - r.i
	if have >= n || r.off == r.end {
		return
	}
	const chunk = 1 << 20
	n = int(min(int64(max(n, chunk)), int64(have)+r.end-r.off))
	if cap(r.buf) < n {
		nb := make([]byte, have, n)
		copy(nb, r.buf[r.i:])
		r.buf = nb
	} else {
		r.buf = r.buf[:copy(r.buf, r.buf[r.i:])]
	}
	r.i = 0
	k := int(min(int64(cap(r.buf)-have), r.end-r.off))
	if _, err := r.f.ReadAt(r.buf[have:have+k], r.off); err != nil {
		r.fail(err)
		r.buf, r.off = r.buf[:0], r.end
		return
	}
	r.buf, r.off = r.buf[:have+k], r.off+int64(k)
}

func (r *secReader) uint() uint64 {
	r.fill(binary.MaxVarintLen64)
	x, k := binary.Uvarint(r.buf[r.i:])
	if k <= 0 {
		r.fail(ErrState)
		r.buf, r.i, r.off = r.buf[:0], 0, r.end
		return 0
	}
	r.i += k
	return x
}

// bytes returns the next n bytes, valid until the next read.
func (r *secReader) bytes(n uint64) []byte {
	if n > uint64(r.left()) {
		r.fail(ErrState)
		r.buf, r.i, r.off = r.buf[:0], 0, r.end
		return nil
	}
	r.fill(int(n))
	b := r.buf[r.i : r.i+int(n)]
	r.i += int(n)
	return b
}

// copyTo copies the rest of the section to w as it is.
func (r *secReader) copyTo(w *bufio.Writer) error {
	if _, err := w.Write(r.buf[r.i:]); err != nil {
		return err
	}
	_, err := w.ReadFrom(io.NewSectionReader(r.f, r.off, r.end-r.off))
	return err
}

// sampleWalk goes through the samples of a section (nil: none) and a
// sorted slice merged, in order.
type sampleWalk struct {
	r     *secReader
	rn    int           // the section's samples not yet read
	rd    time.Duration // the section's last sample read
	rok   bool          // rd is read and not yet walked past
	delta []time.Duration
	n     int           // the samples in all
	d     time.Duration // the walk's sample
}

func newSampleWalk(r *secReader, delta []time.Duration) *sampleWalk {
	w := &sampleWalk{r: r, delta: delta, n: len(delta)}
	if r != nil {
		// Each sample takes a byte at least: a damaged number cannot
		// make the walk long.
		x := r.uint()
		if x > uint64(r.left()) {
			r.fail(ErrState)
			x = 0
		}
		w.rn = int(x)
		w.n += w.rn
	}
	return w
}

func (w *sampleWalk) next() bool {
	if !w.rok && w.rn > 0 {
		x := w.r.uint()
		if w.r.err != nil || x > math.MaxInt64-uint64(w.rd) {
			w.r.fail(ErrState)
			w.rn = 0
		} else {
			w.rd += time.Duration(x)
			w.rn--
			w.rok = true
		}
	}
	switch {
	case w.rok && (len(w.delta) == 0 || w.rd <= w.delta[0]):
		w.d, w.rok = w.rd, false
	case len(w.delta) > 0:
		w.d, w.delta = w.delta[0], w.delta[1:]
	default:
		return false
	}
	return true
}

func (w *sampleWalk) err() error {
	if w.r == nil {
		return nil
	}
	if w.r.err == nil && (w.rn != 0 || w.r.left() != 0) {
		return ErrState
	}
	return w.r.err
}

// tableWalk goes through the keys of a table section (nil: none) and of
// a counter, merged in the order of their bytes, a key in both once with
// its counts summed.
type tableWalk struct {
	r      *secReader
	rkey   []byte // the section's key read and not yet walked past (rok)
	rcount int64
	rok    bool
	rdone  bool
	prev   []byte // the section's key before rkey, for the order check
	c      *counter
	order  []uint32 // c's entries in their keys' order, not yet walked
	key    []byte   // the walk's key, valid until the next call
	count  int64
}

func newTableWalk(r *secReader, c *counter) *tableWalk {
	return &tableWalk{r: r, rdone: r == nil, c: c, order: c.sorted()}
}

// readBase reads the section's next key.
func (w *tableWalk) readBase() {
	r := w.r
	n := r.uint()
	if n == 0 {
		w.rdone = true
		if r.err == nil && r.left() != 0 {
			r.fail(ErrState)
		}
		return
	}
	count := r.uint()
	key := r.bytes(n - 1)
	if r.err != nil || count == 0 || count > math.MaxInt64 || w.prev != nil && bytes.Compare(w.prev, key) >= 0 {
		r.fail(ErrState)
		w.rdone = true
		return
	}
	w.prev = append(w.prev[:0], key...)
	w.rkey, w.rcount, w.rok = key, int64(count), true
}

func (w *tableWalk) next() bool {
	if !w.rok && !w.rdone {
		w.readBase()
	}
	var dk []byte
	var e *centry
	if len(w.order) > 0 {
		e = w.c.ent(int(w.order[0]))
		dk = w.c.key(e)
	}
	switch {
	case w.rok && (e == nil || bytes.Compare(w.rkey, dk) < 0):
		w.key, w.count, w.rok = w.rkey, w.rcount, false
	case w.rok && bytes.Equal(w.rkey, dk):
		w.key, w.count, w.rok = w.rkey, w.rcount+e.count, false
		w.order = w.order[1:]
	case e != nil:
		w.key, w.count = dk, e.count
		w.order = w.order[1:]
	default:
		return false
	}
	return true
}

func (w *tableWalk) err() error {
	if w.r == nil {
		return nil
	}
	if w.r.err == nil && !w.rdone {
		return ErrState
	}
	return w.r.err
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
	for _, x := range []struct {
		to   **counter
		from *counter
	}{{&c.failures, t.failures}, {&c.deferrals, t.deferrals}, {&c.senders, t.senders},
		{&c.rcpts, t.rcpts}, {&c.domains, t.domains}, {&c.clients, t.clients}} {
		if x.from != nil {
			*x.to = x.from
		}
	}
	if t.Hosts != nil {
		c.hosts = t.Hosts
	}
}
