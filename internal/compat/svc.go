package compat

import (
	"bytes"
	"errors"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/supervise"
)

// svcOptions is svc's getopt string in daemontools 0.76.
const svcOptions = "udopchaitkx"

// svcUsage is printed, without the program name, after a bad option.
const svcUsage = "svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill\n"

// maxCommands is the size of svc.c's command buffer.
const maxCommands = 20

// svcMain is svc: svc [-udopchaitkx] dir... Each option becomes one control
// byte (duplicates dropped, order kept); they go to each dir's supervise in
// one write. Failures to reach a dir are warnings: the exit code is 0.
func svcMain(t *Tool, args []string) int {
	g := getopt{args: args, opts: svcOptions}
	var cmds []byte
	for {
		c, ok := g.next(t)
		if !ok {
			break
		}
		if c == '?' {
			t.Stderr.Write([]byte(svcUsage))
			return ExitUsage
		}
		if len(cmds) < maxCommands && bytes.IndexByte(cmds, c) < 0 {
			cmds = append(cmds, c)
		}
	}
	for _, dir := range g.rest() {
		err := supervise.Control(dir, cmds)
		var fe *fault.Error
		switch {
		case err == nil:
		case errors.Is(err, supervise.ErrCommandsNotWritten) && errors.As(err, &fe):
			// svc.c's own words for this one failure.
			t.Warnf("error writing commands to " + dir + ": " + fault.Reason(fe.Err))
		default:
			t.Warn(err)
		}
	}
	return ExitOK
}

// getopt is djb's sgetopt, which the daemontools programs use: options end
// at the first word that does not start with '-', at "-" (kept as an
// argument) or at "--" (dropped). An unknown option or a missing argument
// prints "PROG: illegal option -- c" or "PROG: option requires an argument
// -- c" (PROG is the Tool's name) and returns '?'.
type getopt struct {
	args []string
	opts string
	ind  int // index of the word being read
	pos  int // position in args[ind]; 0 before a word
	arg  string
}

// next returns the next option character, or false when options end.
func (g *getopt) next(t *Tool) (byte, bool) {
	g.arg = ""
	if g.ind >= len(g.args) {
		return 0, false
	}
	if g.pos > 0 && g.pos >= len(g.args[g.ind]) {
		g.ind++
		g.pos = 0
		if g.ind >= len(g.args) {
			return 0, false
		}
	}
	w := g.args[g.ind]
	if g.pos == 0 {
		if len(w) == 0 || w[0] != '-' {
			return 0, false
		}
		if len(w) == 1 || w[1] == '-' {
			if len(w) > 1 {
				g.ind++
			}
			return 0, false
		}
		g.pos = 1
	}
	c := w[g.pos]
	g.pos++
	for i := 0; i < len(g.opts); i++ {
		if g.opts[i] == ':' || g.opts[i] != c {
			continue
		}
		if i+1 < len(g.opts) && g.opts[i+1] == ':' {
			g.arg = w[g.pos:]
			g.ind++
			g.pos = 0
			if g.arg == "" {
				if g.ind >= len(g.args) {
					t.line("", "option requires an argument -- "+string(c))
					return '?', true
				}
				g.arg = g.args[g.ind]
				g.ind++
			}
		}
		return c, true
	}
	t.line("", "illegal option -- "+string(c))
	return '?', true
}

// rest returns the arguments after the options.
func (g *getopt) rest() []string {
	if g.pos > 0 && g.ind < len(g.args) && g.pos >= len(g.args[g.ind]) {
		return g.args[g.ind+1:]
	}
	if g.ind > len(g.args) {
		return nil
	}
	return g.args[g.ind:]
}
