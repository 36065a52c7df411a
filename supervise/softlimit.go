package supervise

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Limit is one softlimit option: a resource and the value to set.
type Limit struct {
	Resource int    // unix.RLIMIT_*
	Hard     bool   // "=": raise the soft limit to the hard limit
	Value    uint64 // the soft limit, lowered to the hard limit if above it
}

// ErrBadLimit reports a softlimit value that is neither "=" nor a decimal
// number; softlimit prints its usage for it.
var ErrBadLimit = errors.New("bad limit")

// softlimitResources maps each softlimit option to the resources it sets,
// in softlimit.c's order (-m sets data, stack, locked memory and address
// space).
var softlimitResources = map[byte][]int{
	'a': {unix.RLIMIT_AS},
	'c': {unix.RLIMIT_CORE},
	'd': {unix.RLIMIT_DATA},
	'f': {unix.RLIMIT_FSIZE},
	'l': {unix.RLIMIT_MEMLOCK},
	'm': {unix.RLIMIT_DATA, unix.RLIMIT_STACK, unix.RLIMIT_MEMLOCK, unix.RLIMIT_AS},
	'o': {unix.RLIMIT_NOFILE},
	'p': {unix.RLIMIT_NPROC},
	'r': {unix.RLIMIT_RSS},
	's': {unix.RLIMIT_STACK},
	't': {unix.RLIMIT_CPU},
}

// SoftlimitOptions is softlimit's getopt string.
const SoftlimitOptions = "a:c:d:f:l:m:o:p:r:s:t:"

// ParseLimit turns softlimit option opt with argument arg into the limits
// to set. arg is "=" for the hard limit or digits read as scan_ulong does
// (an empty string is 0; overflow wraps); anything else is [ErrBadLimit].
func ParseLimit(opt byte, arg string) ([]Limit, error) {
	res, ok := softlimitResources[opt]
	if !ok {
		return nil, ErrBadLimit
	}
	var l Limit
	if arg == "=" {
		l.Hard = true
	} else {
		for i := 0; i < len(arg); i++ {
			c := arg[i] - '0'
			if c > 9 {
				return nil, ErrBadLimit
			}
			l.Value = l.Value*10 + uint64(c)
		}
	}
	out := make([]Limit, len(res))
	for i, r := range res {
		out[i] = l
		out[i].Resource = r
	}
	return out, nil
}

// SetLimit applies one limit to the current process as softlimit.c's
// doit() does. Errors are {getrlimit} and {setrlimit} syscall errors.
func SetLimit(l Limit) error {
	// The syscall package's calls, not x/sys/unix's: syscall.Exec restores
	// the open-files limit Go raised at startup unless syscall.Setrlimit was
	// the one to change it.
	var r syscall.Rlimit
	if err := syscall.Getrlimit(l.Resource, &r); err != nil {
		return &os.SyscallError{Syscall: "getrlimit", Err: err}
	}
	if l.Hard {
		r.Cur = r.Max
	} else {
		r.Cur = l.Value
		if r.Cur > r.Max {
			r.Cur = r.Max
		}
	}
	if err := syscall.Setrlimit(l.Resource, &r); err != nil {
		return &os.SyscallError{Syscall: "setrlimit", Err: err}
	}
	return nil
}
