package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/compat"
	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/query"
)

// queryHeap is the heap a query (not a follow) grows to before Go's
// collector runs.
const queryHeap = 64 << 20

// Exit codes of mlog query, grep's.
const (
	queryMatched = 0
	queryNone    = 1
	queryError   = 2
)

const queryLong = `Print the lines of multilog logdirs whose stamp lies in [--since, --until),
merged into one time-ordered stream, reading only the files and the parts of files
that can hold them.

Arguments are PATTERNs then LOGDIRs: the last argument is a logdir, and so is each
argument before it that is a directory; the rest are patterns, and a line is printed
if it contains any of them. With -e, every argument is a logdir.

Stamps are TAI64N labels (multilog t), mlog multilog's i stamps, s6-log's T
stamps (local time, read in TZ) and RFC 3339 times, mixed as they come.
Links, FIFOs and other files that are not regular files in a logdir are skipped
with a warning, never opened.

TIMES (--since, --until)
  2026-01-02T15:04:05Z         RFC 3339, with an offset and a fraction if wanted
  "2026-01-02 15:04[:05]"      local time (TZ as tai64nlocal reads it); 2026-01-02 alone is midnight
  14:00, 14:00:30              that local time today
  -1h, 30m, 1h30m, 2d, +10m    relative to now; no sign means ago
  now, today, yesterday, tomorrow
  @4000000069564f8012345678    a TAI64N label, as multilog writes them

EXIT STATUS
  0  at least one line matched
  1  no line matched
  2  an error: a bad time, a missing logdir; or a file that could not be
     read, reported on stderr after the rest was printed, as grep does`

type queryFlags struct {
	since, until string
	patterns     []string
	regexp       bool
	ignoreCase   bool
	invert       bool
	count        bool
	local, utc   bool
	json         bool
	withLogdir   bool
	noLogdir     bool
	follow       bool
	cursor       string
	poll         time.Duration
	histogram    string
	width        int
	scan         bool
}

func newQueryCmd() *cobra.Command {
	cmd, _ := newQueryCmdFlags()
	return cmd
}

// queryFast runs mlog query with args parsed by the query command's own
// flags, but not through cobra's Execute, which makes the help and
// completion commands, checks flag groups and sorts the flags: that saves
// a short query 0.1 to 0.3 ms, of the 0.4 to 0.8 ms from main to the
// search through cobra. It does nothing and reports false unless args are a
// plain run: a bad flag, -h or --help, or no logdir goes through cobra,
// which prints what it always printed.
func queryFast(args []string, stdout, stderr io.Writer) (int, bool) {
	cmd, f := newQueryCmdFlags()
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	fl := cmd.Flags() // pflag prints its complaints into cobra's buffer
	if fl.Parse(args) != nil || fl.NArg() < 1 {
		return 0, false
	}
	return runQuery(cmd, f, fl.Args()), true
}

// newQueryCmdFlags returns the query command and the flags it fills in.
func newQueryCmdFlags() (*cobra.Command, *queryFlags) {
	var f queryFlags
	cmd := &cobra.Command{
		Use:   "query [flags] [PATTERN...] LOGDIR...",
		Short: "print the lines of logdirs in a time range, fast",
		Long:  queryLong,
		Example: `  mlog query --since '2026-01-02 14:00' --until '2026-01-02 15:00' /var/log/qmail/smtpd
  mlog query --since -1h --local 'status: local' ./send ./smtpd
  mlog query --since today --histogram 10m 'starting delivery' ./send
  mlog query -f --cursor ~/.smtpd.cursor --json ./smtpd`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			code := runQuery(cmd, &f, args)
			if code != 0 {
				return &exitError{code}
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		queryFatal(cmd.ErrOrStderr(), err)
		return &exitError{queryError}
	})
	fl := cmd.Flags()
	fl.StringVarP(&f.since, "since", "S", "", "print lines at or after `TIME`")
	fl.StringVarP(&f.until, "until", "U", "", "print lines before `TIME`")
	fl.StringArrayVarP(&f.patterns, "pattern", "e", nil, "print lines containing `PATTERN` (repeatable; then every argument is a logdir)")
	fl.BoolVarP(&f.regexp, "regexp", "E", false, "patterns are RE2 regular expressions")
	fl.BoolVarP(&f.ignoreCase, "ignore-case", "i", false, "ignore case in patterns")
	fl.BoolVarP(&f.invert, "invert-match", "v", false, "print lines that match no pattern")
	fl.BoolVarP(&f.count, "count", "c", false, "print the number of matching lines")
	fl.BoolVarP(&f.local, "local", "l", false, "print local times instead of labels, as tai64nlocal does")
	fl.BoolVarP(&f.utc, "utc", "u", false, "print RFC 3339 UTC times instead of labels")
	fl.BoolVar(&f.json, "json", false, `print JSON lines: {"time":...,"logdir":...,"line":...}`)
	fl.BoolVarP(&f.withLogdir, "with-logdir", "H", false, "prefix lines with LOGDIR: (the default with several logdirs)")
	fl.BoolVar(&f.noLogdir, "no-logdir", false, "never prefix lines with their logdir")
	fl.BoolVarP(&f.follow, "follow", "f", false, "keep printing lines as they arrive, across rotations")
	fl.StringVar(&f.cursor, "cursor", "", "start after the position saved in `FILE`, and save the new one there")
	fl.DurationVar(&f.poll, "poll", time.Second, "with --follow, look at the logdirs at least this often")
	fl.StringVar(&f.histogram, "histogram", "", "print a histogram of matching lines per `BUCKET` (1m, 10m, 1h, 1d)")
	fl.IntVar(&f.width, "width", 0, "histogram width in columns (default: the terminal's, or 80)")
	fl.BoolVar(&f.scan, "scan", false, "read every byte and trust no order (for clocks that stepped back)")
	return cmd, &f
}

func queryFatal(w io.Writer, err error) {
	(&compat.Tool{Name: "mlog query", Stderr: w}).Say("fatal", queryReason(err))
}

// queryReason formats an error of package query in daemontools' words:
// "unable to read ./log/@4000....s.zst: ...", "skipped ./log/current: not
// a regular file".
func queryReason(err error) string {
	return fault.Describe(err)
}

// splitQueryArgs separates patterns from logdirs: the last argument is a
// logdir, and so is every directory before it.
func splitQueryArgs(args []string, explicit bool) (patterns, logdirs []string) {
	if explicit {
		return nil, args
	}
	i := len(args) - 1
	for i > 0 {
		st, err := os.Stat(args[i-1])
		if err != nil || !st.IsDir() {
			break
		}
		i--
	}
	return args[:i], args[i:]
}

func runQuery(cmd *cobra.Command, f *queryFlags, args []string) int {
	stderr := cmd.ErrOrStderr()
	cfg, logdirs, err := queryConfig(f, args)
	if err != nil {
		queryFatal(stderr, err)
		return queryError
	}
	cfg.Warn = (&compat.Tool{Name: "mlog query", Stderr: stderr}).Warn
	if f, ok := stderr.(*os.File); ok && !cfg.Follow && isTerminal(f) {
		cfg.Progress = progressLine(f)
	}
	if !cfg.Follow && os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		// A query's heap is a few buffers (a zstd window at most) plus
		// garbage in proportion to the files it opens: let it grow to
		// queryHeap without a collection, which costs a short query a
		// millisecond or more (one on an hour of zstd archives), and
		// collect only past that. A follow runs for days: it keeps Go's
		// default.
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(queryHeap)
	}
	ctx := context.Background()
	if cfg.Follow {
		// A follow ends when asked to: flush, save the cursor, exit 0 (or
		// 1 if nothing matched). Other queries die of the signal, as grep.
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
	}
	if f.cursor != "" {
		cfg.Cursor = &query.Cursor{}
		b, err := os.ReadFile(f.cursor)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			queryFatal(stderr, err)
			return queryError
		}
		if err := cfg.Cursor.UnmarshalText(b); err != nil {
			queryFatal(stderr, errors.New("read cursor "+f.cursor+": "+err.Error()))
			return queryError
		}
		path := f.cursor
		cfg.Save = func(c *query.Cursor) error { return query.SaveCursor(path, c) }
	}
	st, err := query.Run(ctx, cfg, logdirs, cmd.OutOrStdout())
	if err != nil {
		queryFatal(stderr, err)
		return queryError
	}
	if st.Failed > 0 {
		return queryError // as grep does after a file it could not read
	}
	if st.Matched == 0 {
		return queryNone
	}
	return queryMatched
}

func queryConfig(f *queryFlags, args []string) (query.Config, []string, error) {
	// Local times are in the zone TZ names, read as glibc reads it, so
	// they agree with tai64nlocal's.
	cfg := query.Config{Zone: compat.LocalZone(os.LookupEnv)}
	patterns, logdirs := splitQueryArgs(args, len(f.patterns) > 0)
	patterns = append(f.patterns, patterns...)
	now := time.Now()
	var err error
	if f.since != "" {
		if cfg.Since, err = query.ParseTime(f.since, now, cfg.Zone); err != nil {
			return cfg, nil, errors.New("--since: " + err.Error())
		}
	}
	if f.until != "" {
		if cfg.Until, err = query.ParseTime(f.until, now, cfg.Zone); err != nil {
			return cfg, nil, errors.New("--until: " + err.Error())
		}
		cfg.HasUntil = true
	}
	if len(patterns) > 0 {
		if f.regexp {
			if cfg.Match, err = query.MatchRegexp(patterns, f.ignoreCase); err != nil {
				return cfg, nil, err
			}
		} else {
			cfg.Match = query.MatchFixed(patterns, f.ignoreCase)
		}
	}
	if f.invert {
		cfg.Match = query.Invert(cfg.Match)
	}
	n := 0
	for _, b := range []bool{f.local, f.utc, f.json} {
		if b {
			n++
		}
	}
	if n > 1 {
		return cfg, nil, errors.New("choose one of --local, --utc, --json")
	}
	switch {
	case f.local:
		cfg.Format = query.Local
	case f.utc:
		cfg.Format = query.UTC
	case f.json:
		cfg.Format = query.JSON
	}
	cfg.Prefix = (len(logdirs) > 1 || f.withLogdir) && !f.noLogdir
	cfg.Count = f.count
	if f.histogram != "" {
		d, ok := query.ParseDuration(f.histogram)
		if !ok || d <= 0 {
			return cfg, nil, errors.New("--histogram: invalid bucket " + strconv.Quote(f.histogram) + ": want a duration such as 1m or 1h")
		}
		cfg.Histogram = d
		cfg.Width = f.width
		if cfg.Width == 0 {
			cfg.Width = terminalWidth()
		}
	}
	cfg.Follow = f.follow
	cfg.Poll = f.poll
	cfg.Scan = f.scan
	return cfg, logdirs, nil
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// progressLine draws "mlog query: 1.2 of 19.8 GB (6%)" on a terminal's
// stderr, at most ten times a second and only once the query has run for
// half a second (short queries show nothing), and erases it at the end.
func progressLine(f *os.File) func(done, total int64) {
	start := time.Now()
	var last time.Time
	shown := false
	return func(done, total int64) {
		now := time.Now()
		if done >= total {
			if shown {
				f.WriteString("\r\033[K")
			}
			return
		}
		if now.Sub(start) < 500*time.Millisecond || now.Sub(last) < 100*time.Millisecond || total <= 0 {
			return
		}
		last, shown = now, true
		gb := func(n int64) string { return strconv.FormatFloat(float64(n)/1e9, 'f', 1, 64) }
		f.WriteString("\rmlog query: " + gb(done) + " of " + gb(total) + " GB (" + strconv.FormatInt(done*100/total, 10) + "%)\033[K")
	}
}

// terminalWidth returns the width of the terminal on stdout, or $COLUMNS,
// or 80.
func terminalWidth() int {
	if ws, err := unix.IoctlGetWinsize(int(os.Stdout.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
		return int(ws.Col)
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}
