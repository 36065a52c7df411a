package compat

import (
	"errors"
	"time"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/supervise"
)

// svstatMain is svstat: svstat dir... It prints one line per dir, in
// daemontools' words, and always exits 0.
func svstatMain(t *Tool, args []string) int {
	var out []byte
	for _, dir := range args {
		out = append(out, dir...)
		out = append(out, ": "...)
		st, err := supervise.Stat(dir)
		if err != nil {
			out = appendStatError(out, err)
		} else {
			out = st.Append(out, time.Now())
		}
		out = append(out, '\n')
	}
	t.Stdout.Write(out)
	return ExitOK
}

// appendStatError appends svstat's text for an error from supervise.Stat:
// "supervise not running" or "unable to OP[ PATH]: REASON".
func appendStatError(out []byte, err error) []byte {
	if errors.Is(err, supervise.ErrNotRunning) {
		return append(out, "supervise not running"...)
	}
	return append(out, fault.Describe(err)...)
}
