package multilog

import (
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
// exactly as daemontools 0.76 does, which never refuses one: it ignores
// what it does not understand, and reads s and n with scan_ulong. mlog's
// own actions are:
//
//	i          as the first action: an RFC 3339 UTC stamp instead of t's TAI64N
//	z          compress later logdirs' archives with zstd (zgzip: gzip, znone: off)
//	mSIZE      later logdirs keep at most SIZE of archives (oldest pruned first)
//	aDURATION  later logdirs rotate current once it is this old (a3600, a1h, a30m)
//	cSIZE      like s, but up to 1 TiB rather than daemontools' 16777215
//
// A SIZE is bytes, or a number with k, M, G or T (any case: KiB, MiB, GiB,
// TiB): m500M, c1G. None of these letters means anything to daemontools
// (which ignores them), daemontools-encore, svlogd or s6-log. Since they
// are ours, and a misread size prunes history, a malformed m, c or a is
// refused: the error is a [*ScriptError] and nothing has been done.
func ParseScript(args []string) (*Script, error) {
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
			// As multilog: s500M is s500, clamped to 4096.
			cfg.Size = clamp(scanUlong(arg[1:]), minSize, maxSize)
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
		case 'c':
			n, ok := parseSize(arg[1:])
			if !ok {
				return nil, &ScriptError{Action: arg, Reason: sizeSyntax}
			}
			cfg.Size = clamp(n, minSize, maxBigSize)
		case 'm':
			n, ok := parseSize(arg[1:])
			if !ok {
				return nil, &ScriptError{Action: arg, Reason: sizeSyntax}
			}
			cfg.TotalSize = int64(n)
		case 'a':
			d, ok := parseDuration(arg[1:])
			if !ok {
				return nil, &ScriptError{Action: arg, Reason: "an age is a number with s, m, h or d (a3600, a30m, a1h, a1d)"}
			}
			cfg.MaxAge = d
		}
		s.Actions = append(s.Actions, a)
	}
	return s, nil
}

// ScriptError is a script that mlog refuses because one of its own
// actions is malformed.
type ScriptError struct {
	Action string // the argument as written
	Reason string // what that action wants
}

func (e *ScriptError) Error() string { return "bad action " + e.Action + ": " + e.Reason }

const sizeSyntax = "a size is bytes, or a number with k, M, G or T (c1M, m500M)"

// scanUlong reads leading decimal digits exactly as djb's scan_ulong does:
// no digits gives 0, it stops at the first non-digit, and it wraps modulo
// 2^64 as unsigned long does on Debian's amd64 (s18446744073709556712 is
// s5096 to daemontools).
func scanUlong(s string) uint64 {
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

// parseDigits reads s as a whole decimal number; ok is false when s is not
// all digits or overflows 64 bits.
func parseDigits(s string) (n uint64, ok bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || n > (1<<64-1-9)/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// parseSize reads mlog's sizes: digits, then optionally one of k, M, G, T
// in either case for 2^10, 2^20, 2^30, 2^40. Anything else, or an overflow
// past 2^62, is not a size.
func parseSize(s string) (uint64, bool) {
	shift := 0
	if len(s) > 0 {
		switch s[len(s)-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		case 't', 'T':
			shift = 40
		}
		if shift > 0 {
			s = s[:len(s)-1]
		}
	}
	n, ok := parseDigits(s)
	if !ok || n > 1<<(62-shift) {
		return 0, false
	}
	return n << shift, true
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

// parseDuration reads "3600", "3600s", "60m", "1h" or "1d". a0 turns
// rotation by age off.
func parseDuration(s string) (time.Duration, bool) {
	unit := time.Second
	if len(s) > 0 {
		switch s[len(s)-1] {
		case 's':
			s = s[:len(s)-1]
		case 'm':
			unit, s = time.Minute, s[:len(s)-1]
		case 'h':
			unit, s = time.Hour, s[:len(s)-1]
		case 'd':
			unit, s = 24*time.Hour, s[:len(s)-1]
		}
	}
	n, ok := parseDigits(s)
	if !ok || n > uint64(1<<62)/uint64(unit) {
		return 0, false
	}
	return time.Duration(n) * unit, true
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
