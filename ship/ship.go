package ship

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/mlog/mlog/internal/durable"
	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/tai64"
)

// Config says where ship sends the lines of its logdirs, and how. Its
// zero value, given a Network and an Addr, is the default for each field.
type Config struct {
	// Network is "relp", "tcp" (octet-counted syslog, RFC 6587 3.4.1) or
	// "udp" (one datagram per message, best effort).
	Network string
	// Addr is the collector's host:port.
	Addr string

	// Hostname is the HOSTNAME of every message; empty is the nil value
	// "-". (The command fills in os.Hostname.)
	Hostname string
	// App is the APP-NAME of every message; empty means each logdir's base
	// name, or X for the daemontools layout /service/X/log/main.
	App string
	// Priority is facility*8 + severity; zero means DefaultPriority,
	// user.info (so kern.emerg cannot be chosen, as no program's log
	// should claim it).
	Priority int
	// MaxSize is the longest message in bytes, with its header; a longer
	// line is cut. Zero means DefaultMaxSize, rsyslog's default
	// maxMessageSize, above which imrelp drops the session. UDP messages
	// are cut to 65507 bytes whatever it says.
	MaxSize int

	// Cursor is the file that keeps, per logdir, the position after the
	// last line the collector acknowledged; empty keeps none (every run
	// starts at the beginning). It is replaced whole (write, fsync,
	// rename, fsync the directory), and is the same text as query's
	// cursors.
	Cursor string
	// Once ships what is in the logdirs now, waits for the collector to
	// acknowledge it, and returns; otherwise Run follows the logdirs until
	// ctx is done.
	Once bool
	// GiveUp, with Once, bounds how long a run waits for the collector:
	// when lines are waiting and no acknowledgement has come for GiveUp
	// (the collector is down, refuses, or never answers), Run stops and
	// returns a *GiveUpError, so that a cron job does not hang. The cursor
	// keeps what was acknowledged. Zero means DefaultGiveUp.
	GiveUp time.Duration
	// Poll is how often the logdirs are looked at when no change
	// notification comes; zero means one second.
	Poll time.Duration

	// Window is how many messages may be sent and not yet acknowledged;
	// zero means DefaultWindow.
	Window int
	// Backoff is the first pause after a failed connection; each next one
	// is twice as long, up to BackoffMax. Zero means one second and 30
	// seconds.
	Backoff, BackoffMax time.Duration
	// Timeout bounds connecting, the RELP handshake, and the wait for an
	// acknowledgement while messages are outstanding; after it the
	// connection is dropped and made again. Zero means 30 seconds.
	Timeout time.Duration
	// Grace bounds the wait, when ctx is done, for acknowledgements of
	// the messages already sent. Zero means 5 seconds.
	Grace time.Duration

	// Keep is multilog's n for the logdirs (it keeps Keep-1 archives), for
	// the warning that unshipped lines are about to be pruned; zero means
	// 10, multilog's default. A logdir's own run script (X/log/run for
	// X/log/main) wins over it, and a logdir holding more archives than
	// Keep-1 shows it wrong: its n is then learned from its pruning, and
	// nothing is warned meanwhile.
	Keep int

	// Warn reports problems that do not stop shipping: a collector that
	// cannot be reached (*PauseError), a backlog about to be pruned
	// (*BacklogError), and query's warnings.
	Warn func(error)
	// Zone is the zone of stamps written without one (s6-log's T, the
	// wall time of the zone s6-log ran in), as [tai64.LoadZone] loads it
	// for TZ; nil means UTC.
	Zone *tai64.Zone
	// Now is the clock for lines without a stamp; nil means time.Now.
	Now func() time.Time
	// Dial makes connections; nil means a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Defaults of Config.
const (
	DefaultWindow  = 4096 // rsyslog 8.2302's imrelp takes 1.6 times as many lines a second as with 1024 (benchmarks/ship.sh)
	DefaultMaxSize = 8096 // rsyslog's maxMessageSize (glbl.c), imrelp's default maxDataSize
	DefaultGiveUp  = 2 * time.Minute
	maxUDPSize     = 65507
)

// Stats says what a run shipped.
type Stats struct {
	Acked int64 // messages the collector acknowledged (for TCP and UDP, see the package doc)
	Bytes int64 // the bytes of those messages
}

// ErrUsage reports a configuration that cannot be run.
var ErrUsage = fault.ErrUsage

// UsageError is a configuration that cannot be run: the toolkit's one
// usage error type. It is [ErrUsage].
type UsageError = fault.UsageError

// OpError is a failed operation, query's type: it reads well after
// "unable to ": "connect to relp://127.0.0.1:2514: connection refused".
type OpError = query.OpError

// PauseError is a failed step that is tried again after Pause.
type PauseError struct {
	Err   *OpError
	Pause time.Duration
}

func (e *PauseError) Error() string {
	return e.Err.Op + " " + e.Err.Path + ", pausing " + e.Pause.String() + ": " + e.Err.Err.Error()
}
func (e *PauseError) Unwrap() error { return e.Err }

// BacklogError warns that lines not yet shipped are in the oldest archive
// of a logdir that has as many archives as multilog keeps: its next
// rotation deletes them.
type BacklogError struct {
	Logdir  string
	Archive string // the oldest archive's name
	Keep    int    // multilog's n
}

func (e *BacklogError) Error() string {
	return e.Logdir + ": lines not yet shipped are in " + e.Archive +
		", which multilog deletes at its next rotation (n" + strconv.Itoa(e.Keep) + " keeps " +
		strconv.Itoa(e.Keep-1) + " archives)"
}

// GiveUpError ends a run with Once that waited GiveUp for an
// acknowledgement in vain. Err is the last failure to reach the
// collector, if there was one.
type GiveUpError struct {
	Dest  string
	After time.Duration
	Err   error
}

func (e *GiveUpError) Error() string {
	s := "no acknowledgement from " + e.Dest + " for " + e.After.String() + ", giving up"
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
func (e *GiveUpError) Unwrap() error { return e.Err }

// RefusedError is a RELP response other than a success.
type RefusedError struct{ Response string }

func (e *RefusedError) Error() string { return "collector answered " + strconvQuote(e.Response) }

func strconvQuote(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return strconv.Quote(s)
}

// Errors that end a connection.
var (
	errServerClose = errors.New("collector closed the session (serverclose)")
	errNoAck       = errors.New("no acknowledgement within the timeout")
	errNoSyslog    = errors.New("collector does not offer the syslog command")
	errUnknownAck  = errors.New("acknowledgement of a message not sent")
	errStopped     = errors.New("stopped")
)

// ParseDestination reads a collector's address: "relp://host:port",
// "tcp://host:port" or "udp://host:port". It returns the network and
// host:port.
func ParseDestination(s string) (network, addr string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Port() == "" || u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
		return "", "", &UsageError{Msg: "invalid destination " + strconv.Quote(s) + ": want relp://host:port, tcp://host:port or udp://host:port"}
	}
	switch u.Scheme {
	case "relp", "tcp", "udp":
	default:
		return "", "", &UsageError{Msg: "invalid destination " + strconv.Quote(s) + ": the scheme must be relp, tcp or udp"}
	}
	if _, err := strconv.ParseUint(u.Port(), 10, 16); err != nil {
		return "", "", &UsageError{Msg: "invalid destination " + strconv.Quote(s) + ": bad port"}
	}
	return u.Scheme, u.Host, nil
}

// shipper is one run.
type shipper struct {
	cfg     Config
	dest    string // "relp://host:port", for messages
	w       window
	srcs    []*source
	cursor  query.Cursor // as loaded, with our logdirs' positions updated at each commit
	commitC chan struct{}
	warned  []string     // per source, the archive last warned about
	limits  []pruneLimit // per source, its n as far as it is known

	failMu   sync.Mutex
	lastFail error // the last failure to reach the collector, for GiveUpError
}

// Run ships the lines of logdirs to the collector, each as an RFC 5424
// message, from the positions in cfg.Cursor, following the logdirs
// across rotations until ctx is done (or, with cfg.Once, until what was
// there has been acknowledged). It retries a collector that is down or
// goes away, forever, with backoff. It returns an error only for what
// cannot be retried: a missing logdir, an unreadable or unwritable
// cursor, or a failure to read the logdirs.
func Run(ctx context.Context, cfg Config, logdirs []string) (Stats, error) {
	sh, err := newShipper(cfg, logdirs)
	if err != nil {
		return Stats{}, err
	}
	return sh.run(ctx)
}

func newShipper(cfg Config, logdirs []string) (*shipper, error) {
	if len(logdirs) == 0 {
		return nil, &UsageError{Msg: "no logdir"}
	}
	switch cfg.Network {
	case "relp", "tcp", "udp":
	default:
		return nil, &UsageError{Msg: "unknown network " + strconv.Quote(cfg.Network)}
	}
	if cfg.Addr == "" {
		return nil, &UsageError{Msg: "no collector address"}
	}
	if cfg.Priority < 0 || cfg.Priority > 191 {
		return nil, &UsageError{Msg: "priority out of range"}
	}
	if cfg.Priority == 0 {
		cfg.Priority = DefaultPriority
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.Network == "udp" {
		cfg.MaxSize = min(cfg.MaxSize, maxUDPSize)
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 30 * time.Second
	}
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.Backoff)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	if cfg.GiveUp <= 0 {
		cfg.GiveUp = DefaultGiveUp
	}
	keepGiven := cfg.Keep
	if cfg.Keep <= 0 {
		cfg.Keep = 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Dial == nil {
		d := &net.Dialer{Timeout: cfg.Timeout}
		cfg.Dial = d.DialContext
	}
	sh := &shipper{cfg: cfg, dest: cfg.Network + "://" + cfg.Addr, commitC: make(chan struct{}, 1)}
	if cfg.Cursor != "" {
		b, err := os.ReadFile(cfg.Cursor)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if err := sh.cursor.UnmarshalText(b); err != nil {
			return nil, &OpError{Op: "read cursor", Path: cfg.Cursor, Err: err}
		}
	}
	seen := map[string]bool{}
	for i, dir := range logdirs {
		key := filepath.Clean(dir)
		if seen[key] {
			return nil, &UsageError{Msg: "logdir " + dir + " given twice"}
		}
		seen[key] = true
		st, err := os.Stat(dir)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			return nil, &OpError{Op: "open logdir", Path: dir, Err: errors.New("not a directory")}
		}
		sh.srcs = append(sh.srcs, newSource(sh, i, dir, sh.cursor.Positions))
	}
	sh.warned = make([]string, len(sh.srcs))
	for _, dir := range logdirs {
		sh.limits = append(sh.limits, newPruneLimit(dir, keepGiven))
	}
	sh.w.init(cfg.Window, sh.srcs)
	return sh, nil
}

func (sh *shipper) warn(err error) {
	if sh.cfg.Warn != nil {
		sh.cfg.Warn(err)
	}
}

func (sh *shipper) run(ctx context.Context) (Stats, error) {
	if sh.cfg.Cursor != "" {
		// Two ships on one cursor would send everything twice.
		unlock, err := durable.Lock(sh.cfg.Cursor)
		if err != nil {
			return Stats{}, err
		}
		defer unlock()
	}
	// The cursor is written once at the start, so that a file that cannot
	// be written stops us now rather than after the first acknowledgement.
	if err := sh.commit(true); err != nil {
		return Stats{}, err
	}
	stopCommit, commitDone := make(chan struct{}), make(chan struct{})
	go sh.commitLoop(stopCommit, commitDone)

	sendCtx, stopSend := context.WithCancel(context.Background())
	defer stopSend()
	sendDone := make(chan struct{})
	go func() {
		defer close(sendDone)
		sh.sendLoop(sendCtx)
	}()

	readCtx, stopRead := context.WithCancel(ctx)
	defer stopRead()
	readErr := make(chan error, len(sh.srcs))
	var readers sync.WaitGroup
	for _, s := range sh.srcs {
		readers.Add(1)
		go func() {
			defer readers.Done()
			readErr <- s.run(readCtx)
		}()
	}
	wake := context.AfterFunc(ctx, sh.w.wakeAll)
	defer wake()

	var err error
	if sh.cfg.Once {
		// A signal ends --once too, and so does GiveUp without an
		// acknowledgement. A reader may be blocked in the window's push
		// (the backlog is larger than the window and the collector does
		// not answer) and see ctx only once it returns: so wait for ctx
		// as well, and unblock the readers below with w.stop.
		onceCtx, giveUp := context.WithCancelCause(ctx)
		defer giveUp(nil)
		defer context.AfterFunc(onceCtx, sh.w.wakeAll)()
		go sh.watch(onceCtx, giveUp)
	wait:
		for range sh.srcs {
			select {
			case e := <-readErr:
				if e != nil && err == nil {
					err = e
					stopRead()
				}
			case <-onceCtx.Done():
				break wait
			}
		}
		if err == nil {
			sh.w.waitEmpty(onceCtx)
		}
		var gu *GiveUpError
		if cause := context.Cause(onceCtx); err == nil && errors.As(cause, &gu) {
			err = gu
		}
	} else {
		select {
		case <-ctx.Done():
		case err = <-readErr:
			// A follow ends only when asked to: this is a failure.
		}
	}

	// Stop: no more lines; the messages sent get Grace to be
	// acknowledged; the cursor is saved once more.
	stopRead()
	sh.w.stop()
	readers.Wait()
	sh.w.drain()
	timer := time.AfterFunc(sh.cfg.Grace, func() {
		stopSend()
		sh.w.wakeAll()
	})
	<-sendDone
	timer.Stop()
	close(stopCommit)
	<-commitDone
	if cerr := sh.commit(false); cerr != nil && err == nil {
		err = cerr
	}
	sh.w.mu.Lock()
	st := Stats{Acked: sh.w.acks, Bytes: sh.w.ackBytesTotal}
	sh.w.mu.Unlock()
	return st, err
}

// watch gives up a run with Once (through giveUp) when messages have been
// waiting GiveUp for an acknowledgement, until ctx is done.
func (sh *shipper) watch(ctx context.Context, giveUp context.CancelCauseFunc) {
	t := time.NewTicker(min(sh.cfg.GiveUp/4, time.Second))
	defer t.Stop()
	last, since := sh.w.ackedCount(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		acks, waiting := sh.w.progress()
		if acks != last || !waiting {
			last, since = acks, time.Now()
			continue
		}
		if time.Since(since) >= sh.cfg.GiveUp {
			sh.failMu.Lock()
			err := sh.lastFail
			sh.failMu.Unlock()
			giveUp(&GiveUpError{Dest: sh.dest, After: sh.cfg.GiveUp, Err: err})
			return
		}
	}
}

// sendLoop connects to the collector and runs sessions until the window
// is drained at the end of a run or ctx is done, pausing between failed
// attempts.
func (sh *shipper) sendLoop(ctx context.Context) {
	pause := sh.cfg.Backoff
	for {
		if sh.w.finished() || ctx.Err() != nil {
			return
		}
		s, err := sh.connect(ctx)
		if err == nil {
			var progress bool
			progress, err = s.run(ctx)
			if progress {
				pause = sh.cfg.Backoff
			}
			if err == nil || errors.Is(err, errSessionFull) {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			err = &OpError{Op: "send to", Path: sh.dest, Err: err}
		} else {
			if ctx.Err() != nil {
				return
			}
			err = &OpError{Op: "connect to", Path: sh.dest, Err: err}
		}
		if sh.w.finished() {
			return
		}
		sh.failMu.Lock()
		sh.lastFail = err.(*OpError).Err
		sh.failMu.Unlock()
		sh.warn(&PauseError{Err: err.(*OpError), Pause: pause})
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		case <-sh.w.drained:
			t.Stop()
			return
		}
		pause = min(2*pause, sh.cfg.BackoffMax)
	}
}
