package multilog

import (
	"strings"
	"time"

	"github.com/mlog/mlog/rotate"
)

// Kind is what an action does, chosen by the action's first byte.
type Kind uint8

// The action kinds. Bytes that name no kind make actions that do nothing,
// as in daemontools.
const (
	Ignored  Kind = iota
	Select        // +pattern
	Deselect      // -pattern
	Alert         // e: the line to stderr
	Status        // =file: the line into a 1001-byte file
	Logdir        // ./dir or /dir
)

// Stamp says what goes in front of each line.
type Stamp uint8

// The stamps: daemontools' t, or mlog's i.
const (
	NoStamp Stamp = iota
	TAI64N        // t: "@" + 24 hex digits + " "
	ISO           // i: RFC 3339 UTC with microseconds + " "
)

// Limits copied from daemontools 0.76 (multilog.c), and mlog's extension.
const (
	maxHead      = 1000     // bytes of a line (stamp included) that selection, e and = see
	alertMax     = 200      // e prints this much of a longer line, then "..."
	statusLen    = 1001     // = writes exactly this many bytes
	minSize      = 4096     // s is clamped to at least this
	maxSize      = 16777215 // and at most this
	maxBigSize   = 1 << 40  // c (mlog) lifts the ceiling to 1 TiB
	defaultSize  = 99999
	minNum       = 2
	defaultNum   = 10
	maxAlertLine = alertMax + len("...\n")
)

// Action is one element of the script.
type Action struct {
	Kind    Kind
	Arg     string        // the pattern, file or logdir
	Logdir  rotate.Config // for Logdir: the sticky settings in force here
	DirName string        // for Logdir: the name as written in the script
}

// Script is a parsed multilog script.
type Script struct {
	Stamp   Stamp
	Actions []Action
	// Selecting is true when some action looks at line contents (+, -, e
	// or =); without them every line goes to every logdir unexamined.
	Selecting bool
}

// Logdirs returns the logdir actions in script order.
func (s *Script) Logdirs() []Action {
	var dirs []Action
	for _, a := range s.Actions {
		if a.Kind == Logdir {
			dirs = append(dirs, a)
		}
	}
	return dirs
}

// ParseScript reads a multilog script (argv without the program name)
// exactly as daemontools 0.76 does: it never fails, because daemontools
// ignores what it does not understand. mlog's own actions are:
//
//	i          as the first action: an RFC 3339 UTC stamp instead of t's TAI64N
//	z          compress later logdirs' archives with zstd (zgzip: gzip, znone: off)
//	mBYTES     later logdirs keep at most BYTES of archives (oldest pruned first)
//	aDURATION  later logdirs rotate current once it is this old (a3600, a1h, a30m)
//	cBYTES     like s, but up to 1 TiB rather than daemontools' 16777215
//
// None of these letters means anything to daemontools (which ignores them),
// daemontools-encore, svlogd or s6-log.
func ParseScript(args []string) *Script {
	s := &Script{}
	if len(args) > 0 && args[0] != "" {
		switch args[0][0] {
		case 't':
			s.Stamp = TAI64N
		case 'i':
			s.Stamp = ISO
		}
	}
	cfg := rotate.Config{Size: defaultSize, Num: defaultNum}
	for _, arg := range args {
		if arg == "" {
			s.Actions = append(s.Actions, Action{})
			continue
		}
		a := Action{Arg: arg[1:]}
		switch arg[0] {
		case '+':
			a.Kind, s.Selecting = Select, true
		case '-':
			a.Kind, s.Selecting = Deselect, true
		case 'e':
			a.Kind, s.Selecting = Alert, true
		case '=':
			a.Kind, s.Selecting = Status, true
		case '.', '/':
			a.Kind, a.Arg, a.DirName, a.Logdir = Logdir, arg, arg, cfg
		case 's':
			cfg.Size = clamp(scanUlong(arg[1:]), minSize, maxSize)
		case 'c':
			cfg.Size = clamp(scanUlong(arg[1:]), minSize, maxBigSize)
		case 'n':
			cfg.Num = int(clamp(scanUlong(arg[1:]), minNum, 1<<31-1))
		case '!':
			cfg.Processor = arg[1:]
		case 'z':
			switch arg[1:] {
			case "", "zstd":
				cfg.Compression = rotate.Zstd
			case "gzip", "gz":
				cfg.Compression = rotate.Gzip
			default:
				cfg.Compression = rotate.None
			}
		case 'm':
			cfg.TotalSize = int64(scanUlong(arg[1:]))
		case 'a':
			cfg.MaxAge = scanDuration(arg[1:])
		}
		s.Actions = append(s.Actions, a)
	}
	return s
}

// scanUlong reads leading decimal digits as djb's scan_ulong does: junk
// gives 0, and it stops at the first non-digit. It saturates rather than
// wrapping.
func scanUlong(s string) uint64 {
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			break
		}
		if n > (1<<64-1)/10-1 {
			return 1<<64 - 1
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

func clamp(n, lo, hi uint64) int64 {
	if n < lo {
		n = lo
	}
	if n > hi {
		n = hi
	}
	return int64(n)
}

// scanDuration reads "3600", "3600s", "60m", "1h" or "1d"; junk gives 0
// (rotation by age off).
func scanDuration(s string) time.Duration {
	n := scanUlong(s)
	unit := time.Second
	switch strings.TrimLeft(s, "0123456789") {
	case "", "s":
	case "m":
		unit = time.Minute
	case "h":
		unit = time.Hour
	case "d":
		unit = 24 * time.Hour
	default:
		return 0
	}
	if n > uint64(1<<62)/uint64(unit) {
		return 0
	}
	return time.Duration(n) * unit
}

// MaxAgeSet reports whether any logdir rotates by age.
func (s *Script) MaxAgeSet() bool {
	for _, a := range s.Actions {
		if a.Kind == Logdir && a.Logdir.MaxAge > 0 {
			return true
		}
	}
	return false
}
