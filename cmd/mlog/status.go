package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spf13/cobra"

	"github.com/mlog/mlog/internal/compat"
	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/supervise"
)

const statusLong = `Print the state of each service directory, for monitoring.

Without --json the lines are svstat's, byte for byte. With --json the output is
one JSON array with an object per directory, and one for its log service
(DIR/log) right after it if it has one:

  {"dir": "/service/qmail", "supervised": true, "state": "up", "pid": 1234,
   "seconds": 42, "since": "2026-11-23T21:18:40.4370985Z",
   "normally_up": true, "paused": false, "want": "up",
   "restarts": 0, "last_exit": {"status": 0, "at": "2026-11-23T21:18:40.4370985Z"}}

restarts counts the times the service exited while wanted up since its
supervise started (each was followed by a restart), and last_exit says how it
last exited: "status" (its exit code) or "signal" (the signal that killed it).
Both come from mlog's supervise (supervise/exit); under daemontools' supervise
they are absent. A service wanted up but down says why in "why", e.g.
"exits while wanted up: 37 restarts, last exit status 1".

state is "up" or "down", or "unknown" when no supervise runs (the status file
may be stale then) or the directory cannot be read; error says why. want is
"up", "down" or "once" (after svc -o). A corrupt status file whose stamp is no
time (outside the years 0 to 9999) gives the state and seconds svstat prints,
no since, and an error; the other directories are reported as usual.

EXIT STATUS
  0    every directory was read and is supervised
  1    some directory has no supervise running
  111  some directory could not be read, or its status file is corrupt`

// statusJSON is one directory in mlog status --json.
type statusJSON struct {
	Dir        string    `json:"dir"`
	Supervised bool      `json:"supervised"`
	State      string    `json:"state"`
	PID        int       `json:"pid,omitempty"`
	Seconds    uint64    `json:"seconds"`
	Since      time.Time `json:"since,omitzero"`
	NormallyUp bool      `json:"normally_up"`
	Paused     bool      `json:"paused"`
	Want       string    `json:"want,omitempty"`
	Restarts   *uint64   `json:"restarts,omitempty"`
	LastExit   *exitJSON `json:"last_exit,omitempty"`
	Why        string    `json:"why,omitempty"`
	Error      string    `json:"error,omitempty"`
}

// exitJSON is how a service last exited.
type exitJSON struct {
	Status *int      `json:"status,omitempty"` // its exit code, if it exited
	Signal string    `json:"signal,omitempty"` // the signal that killed it, if one did
	At     time.Time `json:"at,omitzero"`
}

// addExit fills in o how the service in dir last exited, if its
// supervise recorded it, and why it is down while wanted up.
func addExit(o *statusJSON, dir string) {
	e, ok := supervise.ReadExit(dir)
	if !ok {
		return
	}
	o.Restarts = &e.Restarts
	x := &exitJSON{}
	last := "last exit status " + strconv.Itoa(e.Code)
	if e.Code >= 0 {
		x.Status = &e.Code
	} else {
		x.Signal = unix.SignalName(syscall.Signal(e.Signal))
		if x.Signal == "" {
			x.Signal = strconv.Itoa(e.Signal)
		}
		last = "last killed by " + x.Signal
	}
	if at, ok := (supervise.Status{Stamp: e.At}).Since(); ok {
		x.At = at.UTC()
	}
	o.LastExit = x
	if o.State == "down" && o.Want == "up" {
		o.Why = "exits while wanted up: " + strconv.FormatUint(e.Restarts, 10) + " restarts, " + last
	}
}

func newStatusCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "status [--json] DIR...",
		Short:   "print the state of supervised services (svstat, or JSON for monitoring)",
		Long:    statusLong,
		Example: "  mlog status /service/*\n  mlog status --json /service/* | jq '.[] | select(.state != \"up\")'",
		Args:    atLeast(1, "DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if code := runStatus(cmd.OutOrStdout(), args, asJSON, time.Now()); code != 0 {
				return &exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array, one object per directory")
	return cmd
}

// runStatus prints the state of dirs and returns the exit code.
func runStatus(w io.Writer, dirs []string, asJSON bool, now time.Time) int {
	code := 0
	var out []byte
	var objs []statusJSON
	if asJSON {
		dirs = withLogs(dirs)
	}
	for _, dir := range dirs {
		st, err := supervise.Stat(dir)
		o := statusJSON{Dir: dir, State: "unknown"}
		switch {
		case err == nil:
			o.Supervised = true
			o.State = "down"
			if st.PID != 0 {
				o.State, o.PID = "up", st.PID
			}
			o.Seconds = st.Seconds(now)
			if since, ok := st.Since(); ok {
				o.Since = since.UTC()
			} else {
				// svstat prints such a file; the state above is what it
				// reads, but the file is corrupt: say so.
				code = compat.ExitTemporary
				o.Error = errBadStamp
			}
			o.NormallyUp, o.Paused = st.NormallyUp, st.PID != 0 && st.Paused
			o.Want = wantName(st.Want)
			addExit(&o, dir)
		case errors.Is(err, supervise.ErrNotRunning):
			code = max(code, 1)
			o.NormallyUp = st.NormallyUp
			o.Error = supervise.ErrNotRunning.Error()
		default:
			code = compat.ExitTemporary
			o.Error = svstatError(err)
		}
		objs = append(objs, o)
		if !asJSON {
			out = append(out, dir...)
			out = append(out, ": "...)
			if err != nil {
				out = append(out, svstatError(err)...)
			} else {
				out = st.Append(out, now)
			}
			out = append(out, '\n')
		}
	}
	if asJSON {
		out = appendJSON(out, objs)
	}
	w.Write(out)
	return code
}

// withLogs returns dirs with each one's log service (DIR/log, a
// directory) right after it, unless it is given already.
func withLogs(dirs []string) []string {
	given := map[string]bool{}
	for _, d := range dirs {
		given[filepath.Clean(d)] = true
	}
	var out []string
	for _, d := range dirs {
		out = append(out, d)
		log := filepath.Join(d, "log")
		if st, err := os.Stat(log); err == nil && st.IsDir() && !given[log] {
			out = append(out, log)
			given[log] = true
		}
	}
	return out
}

// errBadStamp is the error of a directory whose status file holds a stamp
// that is no time (a corrupt file).
const errBadStamp = "bad stamp in supervise/status: not a time between the years 0 and 9999"

// appendJSON appends objs as an indented JSON array. One object that
// cannot be encoded becomes {dir, state "unknown", error} and the others
// are still written: a monitoring command reports a bad directory and goes
// on with the rest.
func appendJSON(out []byte, objs []statusJSON) []byte {
	out = append(out, '[')
	for i, o := range objs {
		if i > 0 {
			out = append(out, ',')
		}
		b, err := json.MarshalIndent(o, "  ", "  ")
		if err != nil {
			b, _ = json.MarshalIndent(statusJSON{Dir: o.Dir, State: "unknown", Error: err.Error()}, "  ", "  ")
		}
		out = append(out, "\n  "...)
		out = append(out, b...)
	}
	if len(objs) > 0 {
		out = append(out, '\n')
	}
	return append(out, "]\n"...)
}

func wantName(w byte) string {
	switch w {
	case supervise.WantUp:
		return "up"
	case supervise.WantDown:
		return "down"
	case supervise.WantOnce:
		return "once"
	}
	return strconv.Quote(string(w))
}

// svstatError is svstat's text for an error of supervise.Stat.
func svstatError(err error) string {
	if errors.Is(err, supervise.ErrNotRunning) {
		return supervise.ErrNotRunning.Error()
	}
	return fault.Describe(err)
}

const waitLong = `Wait until each service directory's service is up (-u) or down (-d), as
runit's sv -w and s6-svc -w do. The status file is polled every 50 ms. A
directory whose supervise is not running counts as down when its last status
says so, and never as up.

  svc -u /service/qmail && mlog wait -u -T 10s /service/qmail

EXIT STATUS
  0    every service reached the state
  1    the timeout passed first
  100  bad arguments
  111  a directory could not be read`

func newWaitCmd() *cobra.Command {
	var up, down bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait (-u|-d) [-T timeout] DIR...",
		Short: "wait until services are up or down (svc -w style)",
		Long:  waitLong,
		Args:  atLeast(1, "DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if up == down {
				return &fault.UsageError{Msg: "give exactly one of -u and -d"}
			}
			if code := runWait(cmd.ErrOrStderr(), args, up, timeout); code != 0 {
				return &exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&up, "up", "u", false, "wait until each service is up")
	cmd.Flags().BoolVarP(&down, "down", "d", false, "wait until each service is down")
	cmd.Flags().DurationVarP(&timeout, "timeout", "T", 0, "give up after this long (0: wait forever)")
	return cmd
}

const waitPoll = 50 * time.Millisecond

// runWait polls until every dir is in the wanted state or timeout passes.
func runWait(stderr io.Writer, dirs []string, up bool, timeout time.Duration) int {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for {
		done := true
		for _, dir := range dirs {
			reached, err := inState(dir, up)
			if err != nil {
				(&compat.Tool{Name: "mlog", Stderr: stderr}).Say("fatal", dir+": "+svstatError(err))
				return compat.ExitTemporary
			}
			if !reached {
				done = false
				break
			}
		}
		if done {
			return 0
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return 1
		}
		time.Sleep(waitPoll)
	}
}

func inState(dir string, up bool) (bool, error) {
	st, err := supervise.Stat(dir)
	if errors.Is(err, supervise.ErrNotRunning) {
		if up {
			return false, nil
		}
		s, err := supervise.ReadStatus(dir)
		return err == nil && s.PID == 0, nil
	}
	if err != nil {
		return false, err
	}
	return (st.PID != 0) == up, nil
}
