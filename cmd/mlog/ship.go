package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlog/mlog/internal/compat"
	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/ship"
)

const shipLong = `Send the lines of multilog logdirs to a central collector, one RFC 5424 syslog
message per line, and keep in --cursor FILE the position after the last line the
collector acknowledged. A restart resumes there. Runs until TERM, INT or HUP
(with --once, until what is in the logdirs now is acknowledged, then it prints
one line: lines, bytes, seconds), following the logdirs across rotations.

  relp://host:port   RELP (rsyslog's imrelp): every message acknowledged
  tcp://host:port    syslog over TCP, octet-counted (RFC 6587); a message counts
                     as delivered once the collector's TCP acknowledged it
  udp://host:port    one datagram per message: best effort, lines can be lost

Each message is "<PRI>1 TIMESTAMP HOSTNAME APP-NAME - - - MSG": TIMESTAMP from
the line's stamp (RFC 3339 UTC, microseconds; a TAI64N label, mlog multilog's i
stamp, or s6-log's T stamp read in TZ), APP-NAME the logdir's name (X for /service/X/log/main), MSG the line
without its stamp. Links, FIFOs and other files that are not regular files in a
logdir are skipped with a warning, never opened. While the collector is down the lines wait in
the logdir; ship retries with backoff, and warns when multilog is about to prune
an archive holding lines not yet shipped.

With --once, a collector that is down or does not answer is retried, with
backoff, until no acknowledgement has come for --give-up (2 minutes by
default); ship then gives up with exit status 111, the cursor keeping what was
acknowledged, so a cron job never hangs.

EXIT STATUS
  0    stopped by a signal (or --once done), the cursor saved
  100  usage: bad arguments; nothing was done
  111  a logdir or the cursor cannot be read or written, another ship
       holds the cursor's lock (FILE.lock), or --once gave up on the
       collector`

type shipFlags struct {
	to         string
	cursor     string
	hostname   string
	app        string
	facility   string
	severity   string
	once       bool
	window     int
	maxSize    int
	backoff    time.Duration
	backoffMax time.Duration
	timeout    time.Duration
	keep       int
	poll       time.Duration
	giveUp     time.Duration
}

func newShipCmd() *cobra.Command {
	var f shipFlags
	cmd := &cobra.Command{
		Use:   "ship --to URL --cursor FILE [flags] LOGDIR...",
		Short: "forward logdirs to rsyslog (RELP, TCP or UDP syslog), nothing lost",
		Long:  shipLong,
		Example: `  mlog ship --to relp://logs.example.org:2514 --cursor /var/lib/mlog/smtpd.cursor /var/log/smtpd
  mlog ship --to tcp://127.0.0.1:514 --cursor ./cursor --facility mail ./main ./send`,
		RunE: func(cmd *cobra.Command, args []string) error { return runShip(cmd, &f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.to, "to", "", "the collector `URL`: relp://host:port, tcp://host:port or udp://host:port")
	fl.StringVar(&f.cursor, "cursor", "", "keep the position after the last acknowledged line in `FILE`")
	fl.StringVar(&f.hostname, "hostname", "", "HOSTNAME of the messages (default: this host's name)")
	fl.StringVar(&f.app, "app", "", "the APP-NAME of every message is `NAME` (default: each logdir's base name, X for /service/X/log/main)")
	fl.StringVar(&f.facility, "facility", "user", "syslog facility: a name (user, mail, daemon, local0...) or 0-23")
	fl.StringVar(&f.severity, "severity", "info", "syslog severity: a name (info, notice, warning, err...) or 0-7")
	fl.BoolVar(&f.once, "once", false, "ship what is there now, wait for the acknowledgements, and exit")
	fl.IntVar(&f.window, "window", ship.DefaultWindow, "messages sent and not yet acknowledged, at most")
	fl.IntVar(&f.maxSize, "max-size", ship.DefaultMaxSize, "longest message in bytes; longer lines are cut (rsyslog's maxMessageSize)")
	fl.DurationVar(&f.backoff, "backoff", time.Second, "first pause after a failed connection; it doubles each time")
	fl.DurationVar(&f.backoffMax, "backoff-max", 30*time.Second, "longest pause between connection attempts")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "drop a connection that leaves messages unacknowledged this long")
	fl.IntVarP(&f.keep, "keep", "n", 10, "multilog's n for the logdirs, to warn before it prunes unshipped lines (X/log/run's n wins)")
	fl.DurationVar(&f.poll, "poll", time.Second, "look at the logdirs at least this often")
	fl.DurationVar(&f.giveUp, "give-up", ship.DefaultGiveUp, "with --once, exit 111 when no acknowledgement has come for this long")
	return cmd
}

func shipMessage(w io.Writer, kind, text string) {
	(&compat.Tool{Name: "mlog ship", Stderr: w}).Say(kind, text)
}

// runShip runs mlog ship. Errors in the arguments go to exit as usage
// errors; a failed run is reported here, in ship's own words (the pause,
// the give-up and its flags), with code 111.
func runShip(cmd *cobra.Command, f *shipFlags, args []string) error {
	stderr := cmd.ErrOrStderr()
	cfg, err := shipConfig(f, args)
	if err != nil {
		return &fault.UsageError{Msg: err.Error()}
	}
	cfg.Warn = func(err error) { shipMessage(stderr, "warning", shipReason(err)) }
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	start := time.Now()
	st, err := ship.Run(ctx, cfg, args)
	switch {
	case err == nil:
		if cfg.Once {
			fmt.Fprintf(cmd.OutOrStdout(), "mlog ship: %d lines, %d bytes, %.3f seconds to %s\n",
				st.Acked, st.Bytes, time.Since(start).Seconds(), f.to)
		}
		return nil
	case errors.Is(err, ship.ErrUsage):
		return &fault.UsageError{Msg: shipReason(err)}
	}
	shipMessage(stderr, "fatal", shipReason(err))
	return &exitError{fault.ExitTemporary}
}

// shipConfig turns the flags into a ship.Config.
func shipConfig(f *shipFlags, args []string) (ship.Config, error) {
	var cfg ship.Config
	if len(args) == 0 {
		return cfg, errors.New("missing LOGDIR: mlog ship --to URL --cursor FILE [flags] LOGDIR...")
	}
	if f.to == "" {
		return cfg, errors.New("--to is required: relp://host:port, tcp://host:port or udp://host:port")
	}
	if f.cursor == "" {
		return cfg, errors.New("--cursor is required: the file that keeps what was shipped")
	}
	var err error
	if cfg.Network, cfg.Addr, err = ship.ParseDestination(f.to); err != nil {
		return cfg, errors.New("--to: " + err.Error())
	}
	fac, err := ship.ParseFacility(f.facility)
	if err != nil {
		return cfg, errors.New("--facility: unknown facility " + f.facility)
	}
	sev, err := ship.ParseSeverity(f.severity)
	if err != nil {
		return cfg, errors.New("--severity: unknown severity " + f.severity)
	}
	cfg.Priority = fac*8 + sev
	if cfg.Priority == 0 {
		return cfg, errors.New("--facility kern --severity emerg: not for a program's log")
	}
	if f.window <= 0 || f.maxSize < 64 || f.keep < 2 || f.backoff <= 0 || f.backoffMax <= 0 || f.timeout <= 0 || f.poll <= 0 || f.giveUp <= 0 {
		return cfg, errors.New("--window, --backoff, --backoff-max, --timeout, --poll and --give-up must be positive, --max-size at least 64, --keep at least 2")
	}
	cfg.Zone = compat.LocalZone(os.LookupEnv)
	cfg.Hostname = f.hostname
	if cfg.Hostname == "" {
		if cfg.Hostname, err = os.Hostname(); err != nil {
			return cfg, errors.New("--hostname: unable to get this host's name: " + err.Error())
		}
	}
	cfg.App = f.app
	cfg.Cursor = f.cursor
	cfg.Once = f.once
	cfg.Window = f.window
	cfg.MaxSize = f.maxSize
	cfg.Backoff, cfg.BackoffMax = f.backoff, f.backoffMax
	cfg.Timeout = f.timeout
	cfg.Keep = f.keep
	cfg.Poll = f.poll
	cfg.GiveUp = f.giveUp
	return cfg, nil
}

// shipReason formats an error of package ship in daemontools' words.
func shipReason(err error) string {
	var pe *ship.PauseError
	var gu *ship.GiveUpError
	switch {
	case errors.As(err, &gu):
		s := "no acknowledgement from " + gu.Dest + " for " + gu.After.String() + ", giving up (--once, --give-up)"
		if gu.Err != nil {
			s += ": " + fault.Reason(gu.Err)
		}
		return s
	case errors.As(err, &pe):
		e := *pe.Err
		e.Pause = "pausing " + pe.Pause.String()
		return fault.Describe(&e)
	}
	return fault.Describe(err)
}
