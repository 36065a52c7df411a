//go:build !linux

package supervise

// lockHolder needs /proc/locks: elsewhere svscan starts supervise as
// daemontools' does, and a lock held by another supervise shows as that
// supervise's warning.
func lockHolder(dfd int, path string) int { return 0 }

// pipeOf needs /proc/PID/fd: elsewhere a hand-over gets a new log pipe.
func pipeOf(pid, fd int) (p [2]int, ok bool) { return p, false }
