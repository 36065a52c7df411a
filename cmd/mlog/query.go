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
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/internal/compat"
	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/query"
)

// queryUse is the synopsis.
const queryUse = "mlog query [flags] [-e PATTERN]... [PATTERN] LOGDIR..."

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

Operands are read as grep reads them: the first of several is the PATTERN,
the others are LOGDIRs; with -e PATTERN (repeatable), every operand is a
LOGDIR. A lone operand is a LOGDIR. A line is printed if it contains any
pattern. A first operand that is also a directory is refused (exit 100):
give the pattern with -e, or -e '' for every line of several logdirs.
-- ends the options.

-n N prints the last N lines selected, read backwards from the newest files;
-f follows the logdirs, starting with the last 10 lines unless --since (or
--cursor) says where. On a terminal, lines show local times (-o short); into
a pipe or a file, they are printed as stored (-o raw). -o takes journalctl's
modes: raw, short, short-iso, utc, short-unix, json, cat.

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
  0    at least one line matched
  1    no line matched
  2    an error: a bad time, a missing logdir; or a file that could not be
       read, reported on stderr after the rest was printed, as grep does
  100  a command line that cannot be read: an unknown flag, no LOGDIR, a
       first operand that could be the pattern or a logdir`

type queryFlags struct {
	since, until string
	patterns     []string
	regexp       bool
	ignoreCase   bool
	invert       bool
	count        bool
	local, utc   bool
	json         bool
	output       string
	oldL, oldU   bool // -l and -u, which meant --local and --utc
	withLogdir   bool
	noLogdir     bool
	follow       bool
	lines        int
	cursor       string
	poll         time.Duration
	histogram    string
	width        int
	scan         bool

	// Not flags: what runQuery found out.
	linesSet bool // -n was given
	tty      bool // stdout is a terminal
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
// plain run: a bad flag, -h or --help goes through cobra, which prints what
// it always printed. A missing logdir is runQuery's to report either way.
func queryFast(args []string, stdout, stderr io.Writer) (int, bool) {
	cmd, f := newQueryCmdFlags()
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	fl := cmd.Flags() // pflag prints its complaints into cobra's buffer
	if fl.Parse(args) != nil {
		return 0, false
	}
	return runQuery(cmd, f, fl.Args()), true
}

// newQueryCmdFlags returns the query command and the flags it fills in.
func newQueryCmdFlags() (*cobra.Command, *queryFlags) {
	var f queryFlags
	cmd := &cobra.Command{
		Use:   "query " + queryUse[len("mlog query "):],
		Short: "print the lines of logdirs in a time range, fast",
		Long:  queryLong,
		Example: `  mlog query --since '2026-01-02 14:00' --until '2026-01-02 15:00' /var/log/qmail/smtpd
  mlog query --since -1h --local 'status: local' ./send ./smtpd
  mlog query --since today --histogram 10m 'starting delivery' ./send
  mlog query -f --cursor ~/.smtpd.cursor --json ./smtpd
  mlog query -f -n 50 ./smtpd
  mlog query -o short-iso -e deferral -e failure ./send ./smtpd`,
		Args: cobra.ArbitraryArgs, // runQuery says what is missing
		RunE: func(cmd *cobra.Command, args []string) error {
			code := runQuery(cmd, &f, args)
			if code != 0 {
				return &exitError{code}
			}
			return nil
		},
	}
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &exitError{queryFail(cmd.ErrOrStderr(), &fault.UsageError{Msg: err.Error()})}
	})
	fl := cmd.Flags()
	fl.StringVarP(&f.since, "since", "S", "", "print lines at or after `TIME`")
	fl.StringVarP(&f.until, "until", "U", "", "print lines before `TIME`")
	fl.StringArrayVarP(&f.patterns, "pattern", "e", nil, "print lines containing `PATTERN` (repeatable; then every operand is a logdir)")
	fl.BoolVarP(&f.regexp, "regexp", "E", false, "patterns are RE2 regular expressions")
	fl.BoolVarP(&f.ignoreCase, "ignore-case", "i", false, "ignore case in patterns")
	fl.BoolVarP(&f.invert, "invert-match", "v", false, "print lines that match no pattern")
	fl.BoolVarP(&f.count, "count", "c", false, "print the number of matching lines")
	fl.StringVarP(&f.output, "output", "o", "", "print lines as `MODE`: raw, short, short-iso, utc, short-unix, json, cat")
	fl.BoolVar(&f.local, "local", false, "-o short: local times, as tai64nlocal prints them")
	fl.BoolVar(&f.utc, "utc", false, "-o utc: RFC 3339 UTC times")
	fl.BoolVar(&f.json, "json", false, `-o json: {"time":...,"logdir":...,"line":...}`)
	// -l and -u meant --local and --utc; in grep -l lists the files that
	// match and in journalctl -u names a unit: they are refused with a
	// word on what to type, rather than silently meaning something else.
	fl.BoolVarP(&f.oldL, "old-l", "l", false, "")
	fl.BoolVarP(&f.oldU, "old-u", "u", false, "")
	fl.MarkHidden("old-l")
	fl.MarkHidden("old-u")
	fl.BoolVarP(&f.withLogdir, "with-logdir", "H", false, "prefix lines with LOGDIR: (the default with several logdirs)")
	fl.BoolVar(&f.noLogdir, "no-logdir", false, "never prefix lines with their logdir")
	fl.BoolVarP(&f.follow, "follow", "f", false, "keep printing lines as they arrive, across rotations")
	fl.IntVarP(&f.lines, "lines", "n", 0, "print only the last `N` lines selected (-f: 10, unless --since)")
	fl.StringVar(&f.cursor, "cursor", "", "start after the position saved in `FILE`, and save the new one there")
	fl.DurationVar(&f.poll, "poll", time.Second, "with --follow, look at the logdirs at least this often")
	fl.StringVar(&f.histogram, "histogram", "", "print a histogram of matching lines per `BUCKET` (1m, 10m, 1h, 1d)")
	fl.IntVar(&f.width, "width", 0, "histogram width in columns (default: the terminal's, or 80)")
	fl.BoolVar(&f.scan, "scan", false, "read every byte and trust no order (for clocks that stepped back)")
	return cmd, &f
}

// queryFail prints err, a usage error or a fatal one, and returns the
// exit code: 100 for a command line that cannot be read, as daemontools'
// programs; 2 for the rest, as grep.
func queryFail(w io.Writer, err error) int {
	var ue *fault.UsageError
	if errors.As(err, &ue) {
		(&compat.Tool{Name: "mlog query", Stderr: w}).Say("usage", ue.Msg)
		return compat.ExitUsage
	}
	queryFatal(w, err)
	return queryError
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

// splitQueryArgs separates the pattern from the logdirs, as grep does:
// with -e, every operand is a logdir; without, the first of two or more
// is the PATTERN, and a lone operand is a LOGDIR (a pattern alone would
// have nothing to search). A word is never silently taken for a logdir or
// a pattern: a first operand that names a directory could be meant as
// either, and is refused.
func splitQueryArgs(args []string, explicit bool) (patterns, logdirs []string, err error) {
	switch {
	case len(args) == 0:
		return nil, nil, &fault.UsageError{Msg: "missing LOGDIR: " + queryUse}
	case explicit:
		return nil, args, nil
	case len(args) == 1:
		return nil, args, nil
	}
	if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
		q := shellQuote(args[0])
		return nil, nil, &fault.UsageError{Msg: "is " + q + " the PATTERN or a LOGDIR? The first of several operands is the PATTERN, and " + q +
			" is also a directory: give the pattern with -e (mlog query -e " + q + " LOGDIR...), or read every line of the logdirs with -e ''"}
	}
	return args[:1], args[1:], nil
}

// shellQuote quotes s for a shell command in a message, if it needs it.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.ContainsRune("._/-+:@%,=", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func runQuery(cmd *cobra.Command, f *queryFlags, args []string) int {
	stderr := cmd.ErrOrStderr()
	f.linesSet = cmd.Flags().Changed("lines")
	out, tty := cmd.OutOrStdout().(*os.File)
	tty = tty && isTerminal(out)
	f.tty = tty
	cfg, logdirs, err := queryConfig(f, args)
	if err != nil {
		return queryFail(stderr, err)
	}
	cfg.Warn = (&compat.Tool{Name: "mlog query", Stderr: stderr}).Warn
	stdout := cmd.OutOrStdout()
	if f, ok := stderr.(*os.File); ok && !cfg.Follow && isTerminal(f) {
		// A follow shows no progress: it says nothing until it has lines.
		p := newProgress(f)
		cfg.Progress = p.update
		if tty {
			stdout = &belowOutput{stdout, p}
		}
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
	st, err := query.Run(ctx, cfg, logdirs, stdout)
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
	patterns, logdirs, err := splitQueryArgs(args, len(f.patterns) > 0)
	if err != nil {
		return cfg, nil, err
	}
	patterns = append(f.patterns, patterns...)
	now := time.Now()
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
	if cfg.Format, err = queryFormat(f); err != nil {
		return cfg, nil, err
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
	// The last lines, as tail -n and journalctl -n: asked for, or, as
	// tail -F and journalctl -f do, the last 10 before following, unless
	// a start is given (--since, --cursor).
	if f.linesSet || f.follow && f.since == "" && f.cursor == "" {
		if f.lines < 0 {
			return cfg, nil, errors.New("--lines: invalid number " + strconv.Itoa(f.lines))
		}
		cfg.HasLast, cfg.Last = true, f.lines
		if !f.linesSet {
			cfg.Last = 10
		}
	}
	cfg.Poll = f.poll
	cfg.Scan = f.scan
	return cfg, logdirs, nil
}

// queryOutputs are the output modes of -o: journalctl's names, and ours.
var queryOutputs = []struct {
	name   string
	format query.Format
}{
	{"raw", query.Raw}, {"short", query.Local}, {"short-precise", query.Local}, {"local", query.Local},
	{"short-iso", query.ISO}, {"short-iso-precise", query.ISO}, {"iso", query.ISO},
	{"utc", query.UTC}, {"short-unix", query.Unix}, {"unix", query.Unix},
	{"json", query.JSON}, {"cat", query.Cat},
}

// queryFormat returns the output format the flags ask for: one of -o,
// --local, --utc, --json (the same one twice is fine). Without any, a
// terminal gets local times a person reads, and a pipe or a file the lines
// as they are stored, as scripts have always had them.
func queryFormat(f *queryFlags) (query.Format, error) {
	switch {
	case f.oldL:
		return 0, &fault.UsageError{Msg: "-l no longer means --local (grep's -l lists the files that match): say --local or -o short"}
	case f.oldU:
		return 0, &fault.UsageError{Msg: "-u no longer means --utc (journalctl's -u names a unit): say --utc or -o utc"}
	}
	var chosen []query.Format
	if f.output != "" {
		found := false
		for _, o := range queryOutputs {
			if o.name == f.output {
				chosen, found = append(chosen, o.format), true
			}
		}
		if !found {
			names := make([]string, len(queryOutputs))
			for i, o := range queryOutputs {
				names[i] = o.name
			}
			return 0, &fault.UsageError{Msg: "-o: unknown output mode " + strconv.Quote(f.output) + ": want one of " + strings.Join(names, ", ")}
		}
	}
	for _, b := range []struct {
		set    bool
		format query.Format
	}{{f.local, query.Local}, {f.utc, query.UTC}, {f.json, query.JSON}} {
		if b.set {
			chosen = append(chosen, b.format)
		}
	}
	for _, c := range chosen[min(1, len(chosen)):] {
		if c != chosen[0] {
			return 0, &fault.UsageError{Msg: "choose one output format of -o, --local, --utc, --json"}
		}
	}
	switch {
	case len(chosen) > 0:
		return chosen[0], nil
	case f.tty:
		return query.Local, nil
	}
	return query.Raw, nil
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// progress draws "mlog query: 1.2 of 19.8 GB (6%)" on a terminal's
// stderr, at most ten times a second and only once the query has run for
// half a second (short queries show nothing), and erases it at the end.
// When stdout is a terminal too, the line is erased before each write of
// output and drawn again below it at the next update, so a long query
// keeps its progress line under the lines it prints.
type progress struct {
	f     *os.File
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(f *os.File) *progress { return &progress{f: f, start: time.Now()} }

// update is query.Config.Progress.
func (p *progress) update(done, total int64) {
	if done >= total {
		p.erase()
		return
	}
	now := time.Now()
	if now.Sub(p.start) < 500*time.Millisecond || now.Sub(p.last) < 100*time.Millisecond || total <= 0 {
		return
	}
	p.last, p.shown = now, true
	gb := func(n int64) string { return strconv.FormatFloat(float64(n)/1e9, 'f', 1, 64) }
	p.f.WriteString("\rmlog query: " + gb(done) + " of " + gb(total) + " GB (" + strconv.FormatInt(done*100/total, 10) + "%)\033[K")
}

// erase takes the line away, if it is shown.
func (p *progress) erase() {
	if p.shown {
		p.f.WriteString("\r\033[K")
		p.shown = false
		p.last = time.Time{} // drawn again at the next update
	}
}

// belowOutput is stdout, when it shares the terminal with the progress
// line: each write first erases the line.
type belowOutput struct {
	w io.Writer
	p *progress
}

func (b *belowOutput) Write(buf []byte) (int, error) {
	b.p.erase()
	return b.w.Write(buf)
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
