package qmail

import (
	"encoding/binary"
	"slices"
	"strings"
	"time"

	"github.com/mlog/mlog/tai64"
)

// topN is how many rows a top list keeps.
const topN = 10

// Stats is what [Collector] found in a range of lines. Counts are of lines
// in the range, so the counts of runs over consecutive ranges add up to
// the counts of one run over them all; the delays of a run are those whose
// both ends it read (with a cursor, the earlier end may be in an earlier
// run).
type Stats struct {
	Lines   int64 `json:"lines"`
	Unknown int64 `json:"unknown_lines"` // lines that are none of the kinds Parse knows
	Cut     int64 `json:"cut_lines"`     // lines without a stamp: the rest of a line multilog cut at s

	Messages     int64 `json:"messages"`      // "new msg" lines
	Infos        int64 `json:"infos"`         // "info msg" lines
	Bytes        int64 `json:"bytes"`         // their bytes
	Ended        int64 `json:"ended"`         // "end msg" lines
	Bounces      int64 `json:"bounces"`       // "bounce msg" lines
	TripleBounce int64 `json:"triple_bounce"` // "triple bounce" lines
	Starts       int64 `json:"starts"`        // "starting delivery" lines
	Local        int64 `json:"local_starts"`
	Remote       int64 `json:"remote_starts"`
	Success      int64 `json:"success"`
	Failure      int64 `json:"failure"`
	Deferral     int64 `json:"deferral"`
	Recipients   int64 `json:"recipients"` // final results: success + failure

	// Honest edges: what lay partly outside the lines read.
	EndedUnstarted   int64 `json:"ended_unstarted"`   // "end msg" of a message whose "new msg" was not read
	ResultsUnstarted int64 `json:"results_unstarted"` // results of deliveries whose start was not read
	Unended          int64 `json:"unended"`           // messages whose id was reused with no "end msg" between
	Restarts         int64 `json:"restarts"`          // "status: exiting"
	Abandoned        int64 `json:"abandoned"`         // deliveries in progress at a restart, results lost
	OpenMessages     int64 `json:"open_messages"`     // messages still in the queue after the last line
	OpenDeliveries   int64 `json:"open_deliveries"`   // deliveries still in progress after the last line
	Notes            int64 `json:"notes"`             // qmail-send warnings and alerts
	ClockBack        int64 `json:"clock_back"`        // delays and queue times whose end is stamped before their start: counted as 0
	FailedFiles      int   `json:"failed_files"`      // files that could not be read, or not to their end

	DeliveryDelay Dist `json:"delivery_delay"` // starting delivery to its result
	QueueTime     Dist `json:"queue_time"`     // new msg to end msg

	LocalPeak     int   `json:"local_peak"` // from "status:" lines
	LocalLimit    int   `json:"local_limit"`
	RemotePeak    int   `json:"remote_peak"`
	RemoteLimit   int   `json:"remote_limit"`
	SMTPPeak      int   `json:"smtp_peak"` // from tcpserver's "status:" lines
	SMTPLimit     int   `json:"smtp_limit"`
	Connections   int64 `json:"connections"` // tcpserver "pid ... from"
	Sessions      int64 `json:"sessions"`    // tcpserver "ok"
	Denied        int64 `json:"denied"`      // tcpserver "deny"
	SessionEnds   int64 `json:"session_ends"`
	SessionErrors int64 `json:"session_errors"` // "end ... status" not 0
	RBLRejections int64 `json:"rbl_rejections"`

	Failures   []Count     `json:"failures"`  // by reason, most first
	Deferrals  []Count     `json:"deferrals"` // by reason, most first
	Senders    []Count     `json:"top_senders"`
	Rcpts      []Count     `json:"top_recipients"`
	Domains    []Count     `json:"top_recipient_domains"`
	Hosts      []HostCount `json:"top_remote_hosts"` // hosts our remote deliveries reached
	Clients    []Count     `json:"top_smtp_clients"`
	Series     []Bucket    `json:"series,omitempty"`
	BucketSize string      `json:"bucket,omitempty"`

	First, Last time.Time `json:"-"`

	delays, queue []time.Duration // the samples, sorted, for tests
}

// Count is a key and how many times it was counted.
type Count struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// HostCount is a remote host and the results of the deliveries it took.
type HostCount struct {
	Host     string `json:"host"`
	Count    int64  `json:"count"`
	Success  int64  `json:"success"`
	Failure  int64  `json:"failure"`
	Deferral int64  `json:"deferral"`
}

// Bucket is one step of a time series.
type Bucket struct {
	Time        time.Time `json:"time"`
	Messages    int64     `json:"messages"`
	Bytes       int64     `json:"bytes"`
	Success     int64     `json:"success"`
	Failure     int64     `json:"failure"`
	Deferral    int64     `json:"deferral"`
	Connections int64     `json:"connections"`
}

// Dist summarises durations. Percentiles are nearest-rank: the smallest
// sample at least p% of the samples are at or below.
type Dist struct {
	N   int64         `json:"n"`
	Avg time.Duration `json:"avg_ns"`
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P95 time.Duration `json:"p95_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// Summarize returns the distribution of samples, which it sorts.
func Summarize(samples []time.Duration) Dist {
	var d Dist
	if len(samples) == 0 {
		return d
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	n := len(samples)
	d.N, d.Avg, d.Max = int64(n), sum/time.Duration(n), samples[n-1]
	rank := func(p int) time.Duration { return samples[(p*n+99)/100-1] }
	d.P50, d.P90, d.P95, d.P99 = rank(50), rank(90), rank(95), rank(99)
	return d
}

// Sub returns t - u.
func Sub(t, u tai64.Time) time.Duration {
	return time.Duration(int64(t.Sec-u.Sec))*time.Second + time.Duration(int64(t.Nsec)-int64(u.Nsec))
}

// Collector turns lines into [Stats]. The zero value is not ready: use
// [NewCollector].
type Collector struct {
	j  *Joiner
	ev Event
	s  Stats

	delays, queue []time.Duration
	failures      *counter
	deferrals     *counter
	senders       *counter
	rcpts         *counter
	domains       *counter
	clients       *counter
	hosts         map[string]*HostCount

	by      time.Duration
	buckets []Bucket
	first   bool

	// base, for a cumulative cursor, is the counts restored: the samples
	// and tables above are then those counted since, to be merged with
	// base's (see totals).
	base *totals

	// keys, when the top lists are counted in the background (see
	// background), holds keys still to count: a counter's id, the key's
	// length in 4 bytes (little-endian), the key.
	keys  []byte
	keysC *chunks
}

// NewCollector returns a Collector that joins with j (a new Joiner if nil)
// and, if by is not zero, keeps a time series of buckets of that width.
func NewCollector(j *Joiner, by time.Duration) *Collector {
	if j == nil {
		j = NewJoiner()
	}
	return &Collector{
		j: j, by: by, first: true,
		failures: newCounter(), deferrals: newCounter(),
		senders: newCounter(), rcpts: newCounter(), domains: newCounter(),
		clients: newCounter(), hosts: map[string]*HostCount{},
	}
}

// Joiner returns the collector's joiner.
func (c *Collector) Joiner() *Joiner { return c.j }

// Add counts one line: its time, whether it has a stamp of its own, and
// its text after the stamp. It returns the joiner's event, valid until the
// next Add. It does no allocation per line once its tables have grown.
func (c *Collector) Add(t tai64.Time, stamped bool, body []byte) *Event {
	s := &c.s
	s.Lines++
	if !stamped {
		// The rest of a line multilog cut: no qmail line starts here.
		s.Cut++
		c.ev = Event{Time: t}
		return &c.ev
	}
	ev := &c.ev
	c.j.Add(t, body, ev)
	if c.first {
		s.First, c.first = t.Time().UTC(), false
	}
	var b *Bucket
	if c.by > 0 {
		b = c.bucket(t)
	}
	l := &ev.Line
	switch l.Kind {
	case Unknown:
		s.Unknown++
	case NewMsg:
		s.Messages++
		if ev.Replaced != nil {
			s.Unended++
		}
		if b != nil {
			b.Messages++
		}
	case InfoMsg:
		s.Infos++
		s.Bytes += int64(l.Bytes)
		c.count(c.senders, l.Addr)
		if b != nil {
			b.Bytes += int64(l.Bytes)
		}
	case StartDelivery:
		s.Starts++
		if l.Remote {
			s.Remote++
		} else {
			s.Local++
		}
		c.count(c.rcpts, l.Addr)
		if i := lastAt(l.Addr); i >= 0 {
			c.count(c.domains, l.Addr[i+1:])
		}
	case DeliveryDone:
		a := ev.Att
		switch l.Result {
		case Success:
			s.Success++
			s.Recipients++
		case Failure:
			s.Failure++
			s.Recipients++
			c.count(c.failures, l.Reason)
		case Deferral:
			s.Deferral++
			c.count(c.deferrals, l.Reason)
		}
		if b != nil {
			switch l.Result {
			case Success:
				b.Success++
			case Failure:
				b.Failure++
			case Deferral:
				b.Deferral++
			}
		}
		if a.HasStart {
			c.delays = append(c.delays, c.elapsed(a.End, a.Start))
			if a.Remote {
				c.host(l.Reason, l.Result)
			}
		} else {
			s.ResultsUnstarted++
		}
	case BounceMsg:
		s.Bounces++
	case TripleBounce:
		s.TripleBounce++
	case EndMsg:
		s.Ended++
		if m := ev.Msg; m.HasStart {
			c.queue = append(c.queue, c.elapsed(m.End, m.Start))
		} else {
			s.EndedUnstarted++
		}
	case Status:
		s.LocalPeak, s.LocalLimit = max(s.LocalPeak, l.N), l.Max
		s.RemotePeak, s.RemoteLimit = max(s.RemotePeak, l.N2), l.Max2
	case Exiting:
		s.Restarts++
		s.Abandoned += int64(ev.Abandoned)
	case SendNote:
		s.Notes++
	case TCPStatus:
		s.SMTPPeak, s.SMTPLimit = max(s.SMTPPeak, l.N), l.Max
	case TCPPid:
		s.Connections++
		c.count(c.clients, l.Host)
		if b != nil {
			b.Connections++
		}
	case TCPOk:
		s.Sessions++
	case TCPDeny:
		s.Denied++
	case TCPEnd:
		s.SessionEnds++
		if l.N2 != 0 {
			s.SessionErrors++
		}
	case RBL:
		s.RBLRejections++
	}
	s.Last = t.Time().UTC()
	return ev
}

// elapsed returns a delay or queue time: end's stamp less start's. A
// negative one can only be the system clock stepping back between the two
// lines (qmail-send logs a result after its start, an end after its new
// msg): the time that passed is unknown, at least 0, and it counts as 0
// and in ClockBack. A step forward makes a delay longer by the step, and
// cannot be told from a long delay.
func (c *Collector) elapsed(end, start tai64.Time) time.Duration {
	d := Sub(end, start)
	if d < 0 {
		c.s.ClockBack++
		return 0
	}
	return d
}

// keyChunk is how many bytes of keys go to the background counting at a
// time.
const keyChunk = 128 << 10

// count counts key in k, at once or, in the background, when its chunk
// of keys is full.
func (c *Collector) count(k *counter, key []byte) {
	if c.keysC == nil {
		k.add(key, 1)
		return
	}
	c.keys = binary.LittleEndian.AppendUint32(append(c.keys, k.id), uint32(len(key)))
	c.keys = append(c.keys, key...)
	if len(c.keys) >= keyChunk {
		c.keys = c.keysC.send(c.keys)
	}
}

// background makes the collector count its top lists in a goroutine of
// its own, given the keys in chunks: counting keys in hash tables is as
// much work as all the rest of a line's, and the counts do not depend on
// when they are made. The returned function counts the keys left and
// waits: it must be called before Stats, and before the collector is
// saved.
func (c *Collector) background() (wait func()) {
	tabs := []*counter{c.failures, c.deferrals, c.senders, c.rcpts, c.domains, c.clients}
	for i, k := range tabs {
		k.id = uint8(i)
	}
	// A chunk is sent once it holds keyChunk bytes: room for one more key
	// (at most a line) beyond that.
	c.keysC, c.keys = newChunks(4, keyChunk+maxCarry+8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.keysC.each(func(b []byte) {
			for len(b) > 0 {
				n := int(binary.LittleEndian.Uint32(b[1:]))
				tabs[b[0]].add(b[5:5+n], 1)
				b = b[5+n:]
			}
		})
	}()
	return func() {
		c.keysC.close(c.keys)
		<-done
		c.keys, c.keysC = nil, nil
	}
}

// host counts a remote delivery's result under the host its reason
// names: "IP_accepted_message." or "Connected_to_IP_but...".
func (c *Collector) host(reason []byte, r Result) {
	h := remoteHost(reason)
	if len(h) == 0 {
		return
	}
	hc := c.hosts[string(h)]
	if hc == nil {
		hc = &HostCount{Host: string(h)}
		c.hosts[hc.Host] = hc
	}
	hc.Count++
	switch r {
	case Success:
		hc.Success++
	case Failure:
		hc.Failure++
	case Deferral:
		hc.Deferral++
	}
}

// remoteHost returns the host a remote delivery's reason names:
// "IP_accepted_message." or "Connected_to_IP_but...", or nil.
func remoteHost(reason []byte) []byte {
	if b, ok := cut(reason, "Connected_to_"); ok {
		if i := index(b, "_"); i > 0 {
			return b[:i]
		}
	} else if i := index(reason, "_accepted_message"); i > 0 {
		return reason[:i]
	}
	return nil
}

func lastAt(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '@' {
			return i
		}
	}
	return -1
}

// bucket returns the bucket of t, adding buckets up to it.
func (c *Collector) bucket(t tai64.Time) *Bucket {
	sec, _ := t.Unix()
	w := int64(c.by / time.Second)
	if w <= 0 {
		w = 1
	}
	start := sec - ((sec%w)+w)%w
	if n := len(c.buckets); n > 0 {
		last := c.buckets[n-1].Time.Unix()
		if start < last {
			// A step back in time: count it in the bucket it falls in.
			for i := n - 1; i >= 0; i-- {
				if c.buckets[i].Time.Unix() <= start {
					return &c.buckets[i]
				}
			}
			return &c.buckets[0]
		}
		for last < start {
			last += w
			c.buckets = append(c.buckets, Bucket{Time: time.Unix(last, 0).UTC()})
		}
		return &c.buckets[len(c.buckets)-1]
	}
	c.buckets = append(c.buckets, Bucket{Time: time.Unix(start, 0).UTC()})
	return &c.buckets[0]
}

// keepSamples makes Stats of a run with a state file's counts to merge
// (a cumulative cursor's) hold every sample, as one run's do: tests
// compare them. Otherwise its Stats hold none, rather than a copy of
// every delay of the day.
var keepSamples = false

// Stats returns what the collector counted so far.
func (c *Collector) Stats() Stats {
	s, err := c.stats()
	if err != nil {
		// Only a collector Collect restored from a state file has
		// tables to read, and Collect calls stats.
		panic(err)
	}
	return s
}

// stats returns what the collector counted so far: with a base (a
// cumulative cursor's counts), merged with the base's, whose reading can
// fail (ErrState for a damaged state file).
func (c *Collector) stats() (Stats, error) {
	s := c.s
	// Sorted in place: merged with a state file's so.
	slices.Sort(c.delays)
	slices.Sort(c.queue)
	if c.base == nil || c.base.base == nil {
		s.delays, s.queue = slices.Clone(c.delays), slices.Clone(c.queue)
		s.DeliveryDelay = Summarize(s.delays)
		s.QueueTime = Summarize(s.queue)
		s.Failures = c.failures.top(0)
		s.Deferrals = c.deferrals.top(0)
		s.Senders = c.senders.top(topN)
		s.Rcpts = c.rcpts.top(topN)
		s.Domains = c.domains.top(topN)
		s.Clients = c.clients.top(topN)
	} else {
		b, old := c.base.base, c.base.Stats
		b.edits = [nsections]*edits{} // found again for these counts
		// Lists as top returns them: never nil. The top lists of a state
		// file saved with another topN are not used: see tables.top.
		for _, l := range []*[]Count{&old.Failures, &old.Deferrals, &old.Senders, &old.Rcpts, &old.Domains, &old.Clients} {
			if *l == nil {
				*l = []Count{}
			}
		}
		if c.base.TopN != topN {
			old.Senders, old.Rcpts, old.Domains, old.Clients = nil, nil, nil, nil
		}
		var err [8]error
		s.DeliveryDelay, s.delays, err[0] = b.dist(secDelays, c.delays, old.DeliveryDelay)
		s.QueueTime, s.queue, err[1] = b.dist(secQueue, c.queue, old.QueueTime)
		s.Failures, err[2] = b.top(secTables, c.failures, 0, old.Failures)
		s.Deferrals, err[3] = b.top(secTables+1, c.deferrals, 0, old.Deferrals)
		s.Senders, err[4] = b.top(secTables+2, c.senders, topN, old.Senders)
		s.Rcpts, err[5] = b.top(secTables+3, c.rcpts, topN, old.Rcpts)
		s.Domains, err[6] = b.top(secTables+4, c.domains, topN, old.Domains)
		s.Clients, err[7] = b.top(secTables+5, c.clients, topN, old.Clients)
		for _, err := range err {
			if err != nil {
				return s, err
			}
		}
	}
	s.Hosts = nil
	for _, h := range c.hosts {
		s.Hosts = append(s.Hosts, *h)
	}
	s.Hosts = topHosts(s.Hosts, topN)
	s.OpenMessages = int64(len(c.j.msgs))
	s.OpenDeliveries = int64(len(c.j.dels))
	s.Series, s.BucketSize = nil, ""
	if c.by > 0 {
		s.Series = slices.Clone(c.buckets)
		s.BucketSize = c.by.String()
	}
	return s, nil
}

// topHosts sorts hosts by count, most first (then by name), and keeps the
// first n.
func topHosts(hosts []HostCount, n int) []HostCount {
	slices.SortFunc(hosts, func(a, b HostCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Host, b.Host)
	})
	if len(hosts) > n {
		hosts = hosts[:n]
	}
	return hosts
}
