package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlog/mlog/internal/compat"
	"github.com/mlog/mlog/internal/durable"
	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/qmail"
)

const qmailLong = `Report on qmail's logs straight from multilog logdirs, as qmailanalog's matchup
and z* scripts do, without tai64n2tai, without decompressing archives first, and
without carrying unfinished messages between runs by hand.

  stats   messages, bytes, recipients, delivery attempts by result, failures and
          deferrals by reason, delivery delay and queue time (avg, 50/90/95/99%),
          concurrency peaks, top senders, recipients, domains and remote hosts,
          SMTP sessions (tcpserver, rblsmtpd)
  trace   every line about one message (MSG), address (ADDRESS) or qmail-queue
          pid (qp Q), its delivery lines joined to it by delivery number

Logdirs are read as mlog query reads them (archives plain or compressed, .u,
current), several merged in time order: give qmail-send's logdir and smtpd's.
--since and --until take mlog query's time forms.

EXIT STATUS
  0    done (trace: at least one message found)
  1    trace: no message found
  100  usage: bad arguments; nothing was done
  111  a logdir, a file in it or the cursor could not be read or written`

type qmailFlags struct {
	since, until string
	json         bool
	by           time.Duration
	cursor       string
	cumulative   bool
}

func newQmailCmd() *cobra.Command {
	var f qmailFlags
	cmd := &cobra.Command{
		Use:   "qmail stats|trace [flags] ...",
		Short: "qmailanalog's answers (stats, trace) straight from logdirs",
		Long:  qmailLong,
	}
	flags := func(c *cobra.Command) {
		fl := c.Flags()
		fl.StringVarP(&f.since, "since", "S", "", "read lines at or after `TIME`")
		fl.StringVarP(&f.until, "until", "U", "", "read lines before `TIME`")
		fl.BoolVar(&f.json, "json", false, "print JSON")
	}
	stats := &cobra.Command{
		Use:   "stats [--since T] [--until T] [--json] [--by DURATION] [--cursor FILE [--cumulative]] LOGDIR...",
		Short: "count messages, deliveries, delays, senders, recipients, hosts",
		Example: `  mlog qmail stats --since today /var/log/qmail /var/log/qmail/smtpd
  mlog qmail stats --since yesterday --until today --by 1h --json /var/log/qmail
  mlog qmail stats --cursor /var/lib/mlog/qmail.cursor --json /var/log/qmail   # from cron
  mlog qmail stats --since today --cumulative --cursor /var/lib/mlog/today.cursor /var/log/qmail`,
		Args: atLeast(1, "LOGDIR"),
		RunE: func(cmd *cobra.Command, args []string) error { return runQmailStats(cmd, &f, args) },
	}
	flags(stats)
	stats.Flags().DurationVar(&f.by, "by", 0, "also count per bucket of `DURATION` (a time series)")
	stats.Flags().StringVar(&f.cursor, "cursor", "", "start where the run that saved `FILE` stopped, with its open messages, and save there")
	stats.Flags().BoolVar(&f.cumulative, "cumulative", false, "with --cursor: report everything counted since the cursor was new (for this --since/--until/--by), not only this run's lines")
	trace := &cobra.Command{
		Use:   "trace [--since T] [--until T] [--json] MSG|ADDRESS|qp Q LOGDIR...",
		Short: "every line about one message, address or qp",
		Example: `  mlog qmail trace 4194304 /var/log/qmail
  mlog qmail trace alice@example.org --since today /var/log/qmail
  mlog qmail trace qp 4242 /var/log/qmail`,
		Args: atLeast(2, "what to trace or LOGDIR"),
		RunE: func(cmd *cobra.Command, args []string) error { return runQmailTrace(cmd, &f, args) },
	}
	flags(trace)
	cmd.AddCommand(stats, trace)
	return cmd
}

// qmailError makes an error from reading the logdirs one that exit
// reports with the right code: 100 for what the command line got wrong (a
// bad time, a bad pattern), 111 for the rest.
func qmailError(err error) error {
	switch {
	case qmail.IsUsage(err) && !errors.Is(err, fault.ErrUsage):
		return &fault.UsageError{Msg: fault.Describe(err)}
	case !qmail.IsUsage(err) && !isFailure(err):
		return &fault.Error{Op: "read", Path: "the logdirs", Err: err}
	}
	return err
}

// qmailConfig turns the flags into a Config.
func qmailConfig(cmd *cobra.Command, f *qmailFlags) (qmail.Config, error) {
	cfg := qmail.Config{By: f.by}
	cfg.Zone = compat.LocalZone(os.LookupEnv)
	cfg.Warn = (&compat.Tool{Name: cmd.CommandPath(), Stderr: cmd.ErrOrStderr()}).Warn
	now := time.Now()
	var err error
	if f.since != "" {
		if cfg.Since, err = qmail.ParseTime(f.since, now, cfg.Zone); err != nil {
			return cfg, &fault.UsageError{Msg: "--since: " + fault.Describe(err)}
		}
	}
	if f.until != "" {
		if cfg.Until, err = qmail.ParseTime(f.until, now, cfg.Zone); err != nil {
			return cfg, &fault.UsageError{Msg: "--until: " + fault.Describe(err)}
		}
		cfg.HasUntil = true
	}
	if f.by < 0 {
		return cfg, &fault.UsageError{Msg: "--by: negative duration"}
	}
	return cfg, nil
}

func runQmailStats(cmd *cobra.Command, f *qmailFlags, logdirs []string) error {
	cfg, err := qmailConfig(cmd, f)
	if err != nil {
		return err
	}
	if f.cumulative && f.cursor == "" {
		return &fault.UsageError{Msg: "--cumulative needs --cursor"}
	}
	cfg.Cumulative = f.cumulative
	if f.cursor != "" {
		// Two runs on one cursor (cron jobs that overlap) would count
		// the same lines twice: the second is refused.
		unlock, err := durable.Lock(f.cursor)
		if err != nil {
			return err
		}
		defer unlock()
		if cfg.State, err = qmail.LoadState(f.cursor); err != nil {
			return err
		}
	}
	s, err := qmail.Collect(context.Background(), cfg, logdirs)
	if err != nil {
		return qmailError(err)
	}
	if f.json {
		err = qmail.WriteJSON(cmd.OutOrStdout(), &s)
	} else {
		err = qmail.WriteStats(cmd.OutOrStdout(), &s, cfg.Zone)
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: "output", Err: err}
	}
	if f.cursor != "" {
		// Saved after the report is out: a run that dies before leaves the
		// cursor where it was, and the next run reports these lines again.
		if err := qmail.SaveState(f.cursor, cfg.State); err != nil {
			return &fs.PathError{Op: "write", Path: f.cursor, Err: err}
		}
	}
	if s.FailedFiles > 0 {
		return &exitError{fault.ExitTemporary} // each file was warned about
	}
	return nil
}

func runQmailTrace(cmd *cobra.Command, f *qmailFlags, args []string) error {
	cfg, err := qmailConfig(cmd, f)
	if err != nil {
		return err
	}
	n := 1
	if args[0] == "qp" {
		n = 2
	}
	if len(args) <= n {
		return &fault.UsageError{Msg: "missing LOGDIR: " + cmd.CommandPath() + " qp Q LOGDIR..."}
	}
	target, err := qmail.ParseTarget(args[:n])
	if err != nil {
		return &fault.UsageError{Msg: fault.Describe(err)}
	}
	found, failed, err := qmail.Trace(context.Background(), cfg, args[n:], target)
	if err != nil {
		return qmailError(err)
	}
	if f.json {
		err = qmail.WriteJSON(cmd.OutOrStdout(), qmail.TraceJSON(found))
	} else {
		err = qmail.WriteTrace(cmd.OutOrStdout(), found, cfg.Zone)
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: "output", Err: err}
	}
	switch {
	case failed > 0:
		return &exitError{fault.ExitTemporary} // each file was warned about
	case len(found) == 0:
		// As grep says nothing found: exit 1, with a line for a person.
		io.WriteString(cmd.ErrOrStderr(), cmd.CommandPath()+": no message "+strconv.Quote(args[n-1])+" found\n")
		return &exitError{1}
	}
	return nil
}
