package supervise

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// Adopted reports that supervise found its service still running, left by
// an earlier supervise of the same directory that died without stopping it
// (killed with SIGKILL, say), and supervises that process instead of
// starting a second copy. Daemontools' supervise starts a second copy.
//
// The rule (see leftover): the pid recorded in supervise/status is taken
// to be that process only when all of these hold:
//   - a process with that pid is alive (not a zombie) and is not a kernel
//     thread, and it is not supervise itself;
//   - its parent is not a supervisor (supervise, ours or daemontools',
//     also when run as "mlog supervise"; runit's runsv; s6-supervise): the
//     earlier supervise is gone (this one holds the lock), so a supervised
//     parent means the pid now belongs to another service;
//   - it started when the status says the service started: no later than
//     adoptLate after the stamp (a recycled pid belongs to a process
//     started after the recorded one died, so after the stamp; a status
//     file from before a reboot is older than every process now running)
//     and no earlier than adoptEarly before it (the stamp is taken once
//     ./run has been executed; a clock wrong at boot must not make an
//     early process look like ours).
//
// A clock step larger than these bounds between the start and the new
// supervise makes the rule fail safe: no adoption, and a second copy as in
// daemontools. The adopted process keeps the stamp, the paused flag and the
// want of the recorded status. It is not supervise's child: supervise
// learns of its exit through a pidfd (Linux 5.3; without one, by looking
// every second), cannot know its exit status (./finish gets -1 and 0), and
// signals it through the pidfd, so a signal can never reach a process that
// later got the same pid.
type Adopted struct {
	Dir string // as messages name it
	PID int
}

func (a *Adopted) Error() string {
	return "adopting " + a.Dir + "/run (pid " + strconv.Itoa(a.PID) + "), left running by an earlier supervise: not starting another"
}

// adopt looks at the status a previous supervise left and, if its service
// still runs by the rule of [Adopted], takes it over. It reports whether it
// did.
func (s *sv) adopt() bool {
	fd, err := openIn(s.sfd, "status", unix.O_RDONLY, 0, unix.S_IFREG)
	if err != nil {
		return false
	}
	var b [StatusLen]byte
	n, err := readFull(fd, b[:])
	unix.Close(fd)
	if err != nil {
		return false
	}
	st, _, err := ParseStatus(b[:n])
	if err != nil || st.PID <= 0 || !leftover(st.PID, st.Stamp) {
		return false
	}
	pidfd := pidfdOpen(st.PID)
	// Checked again now that the pidfd holds the process: the pidfd is
	// the process that passed the check, not a later one with its pid.
	if pidfd >= 0 && !leftover(st.PID, st.Stamp) {
		unix.Close(pidfd)
		return false
	}
	s.pid, s.pidfd, s.adopted = st.PID, pidfd, true
	s.stamp, s.paused = st.Stamp, st.Paused
	switch st.Want {
	case WantUp:
		s.want, s.wantUp = true, true
	case WantDown:
		s.want, s.wantUp = true, false
	case WantOnce:
		s.want = false
	}
	s.warn(&Adopted{Dir: s.cfg.Name, PID: st.PID})
	return true
}

// adoptedGone reports whether the adopted process has exited.
func (s *sv) adoptedGone() bool {
	if s.pidfd >= 0 {
		fds := []unix.PollFd{{Fd: int32(s.pidfd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		return err == nil && n > 0
	}
	return !leftover(s.pid, s.stamp)
}

// dropAdopted forgets the adopted process once it has exited.
func (s *sv) dropAdopted() {
	if s.pidfd >= 0 {
		unix.Close(s.pidfd)
	}
	s.pidfd, s.adopted = -1, false
}
