package supervise

import (
	"syscall"

	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/tai64"
)

// Bounds of the rule of [Adopted]: how long before the recorded stamp the
// process may have started (fork, then the exec of ./run, then the stamp:
// seconds on a loaded machine, never a minute), and how long after (the
// clocks read here have a resolution of 10 ms, and an NTP slew or a small
// step must not break adoption; a recycled pid needs the whole pid space
// to go round in that time).
const (
	adoptEarly = 60 * time.Second
	adoptLate  = 5 * time.Second
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's start time: 100 on
// every Linux architecture (sysconf(_SC_CLK_TCK)).
const clockTicks = 100

// pfKthread is PF_KTHREAD in /proc/PID/stat's flags.
const pfKthread = 0x00200000

// leftover reports whether pid is a process that a supervise started at
// stamp and that still runs, by the rule of [Adopted].
func leftover(pid int, stamp tai64.Time) bool {
	if pid <= 1 || pid == os.Getpid() {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// "pid (comm) state ppid ...": comm may hold anything, so fields are
	// counted after its last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 {
		return false
	}
	state, ppid := f[0], f[1]
	flags, err1 := strconv.ParseUint(string(f[6]), 10, 64)
	ticks, err2 := strconv.ParseUint(string(f[19]), 10, 64)
	if err1 != nil || err2 != nil || len(state) != 1 || state[0] == 'Z' || state[0] == 'X' || flags&pfKthread != 0 {
		return false
	}
	if supervisor(string(ppid)) {
		return false
	}

	// The start time is in ticks since boot (CLOCK_BOOTTIME); take it to
	// the wall clock through the two clocks read now.
	var boot, real unix.Timespec
	if unix.ClockGettime(unix.CLOCK_BOOTTIME, &boot) != nil || unix.ClockGettime(unix.CLOCK_REALTIME, &real) != nil {
		return false
	}
	sinceStart := time.Duration(boot.Nano()) - time.Duration(ticks)*(time.Second/clockTicks)
	started := time.Unix(0, real.Nano()).Add(-sinceStart)
	sec, nsec := stamp.Unix()
	at := time.Unix(sec, int64(nsec))
	return !started.After(at.Add(adoptLate)) && !started.Before(at.Add(-adoptEarly))
}

// supervisors are the programs whose children are supervised services:
// daemontools' supervise (ours or not), runit's runsv, s6's s6-supervise.
var supervisors = []string{"supervise", "runsv", "s6-supervise"}

// supervisor reports whether process pid is a supervisor: by its command
// name, by the name it was run as (argv[0]), or by the program a
// multi-call binary was asked for ("mlog supervise DIR", "mlog-tools
// supervise DIR").
func supervisor(pid string) bool {
	comm, _ := os.ReadFile("/proc/" + pid + "/comm")
	cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline")
	args := bytes.SplitN(cmdline, []byte{0}, 3)
	names := [][]byte{bytes.TrimSpace(comm)}
	if len(args) > 0 {
		names = append(names, args[0][bytes.LastIndexByte(args[0], '/')+1:])
	}
	if len(args) > 1 {
		names = append(names, args[1])
	}
	for _, n := range names {
		for _, s := range supervisors {
			if string(n) == s {
				return true
			}
		}
	}
	return false
}

// pidfdOpen returns a pidfd for pid (close-on-exec), or -1 where the
// kernel has none.
func pidfdOpen(pid int) int {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1
	}
	return fd
}

// pidfdSignal sends sig through pidfd.
func pidfdSignal(pidfd int, sig unix.Signal) {
	unix.PidfdSendSignal(pidfd, sig, nil, 0)
}

// childAttr fills sys to ask ForkExec for a pidfd of the child in *pidfd
// (-1 where the kernel gives none) and returns it.
func childAttr(sys *syscall.SysProcAttr, pidfd *int) *syscall.SysProcAttr {
	if noPidfd {
		return nil
	}
	*sys = syscall.SysProcAttr{PidFD: pidfd}
	return sys
}

// noPidfd makes supervise work as on a kernel without pidfds (tests).
var noPidfd bool
