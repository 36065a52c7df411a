//go:build !linux

package supervise

import (
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/mlog/mlog/tai64"
)

// leftover never adopts without Linux's /proc: see [Adopted].
func leftover(pid int, stamp tai64.Time) bool { return false }

func pidfdOpen(pid int) int { return -1 }

func pidfdSignal(pidfd int, sig unix.Signal) {}

// childAttr: no pidfds here; SIGCHLD wakes supervise instead.
func childAttr(pidfd *int) *syscall.SysProcAttr { return nil }
