package query

import (
	"context"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// watcher wakes a follow when a logdir changes, by inotify on the
// directories: a write to current, a new archive, a rename. A nil watcher
// only polls.
type watcher struct {
	fd  int
	buf []byte
}

// watchMask is every change to a logdir's entries or their contents.
const watchMask = unix.IN_MODIFY | unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM |
	unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE | unix.IN_ATTRIB

func newWatcher(dirs []string) (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	for _, d := range dirs {
		if _, err := unix.InotifyAddWatch(fd, d, watchMask); err != nil {
			unix.Close(fd)
			return nil, os.NewSyscallError("inotify_add_watch", err)
		}
	}
	return &watcher{fd: fd, buf: make([]byte, 64<<10)}, nil
}

func (w *watcher) close() {
	if w != nil {
		unix.Close(w.fd)
	}
}

// wakeSlice bounds how long a wait sleeps between looks at ctx.
const wakeSlice = 50 * time.Millisecond

// wait returns when a logdir changed, when poll has passed, or with ctx's
// error when ctx is done.
func (w *watcher) wait(ctx context.Context, poll time.Duration) error {
	deadline := time.Now().Add(poll)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil
		}
		slice := min(left, wakeSlice)
		if w == nil {
			t := time.NewTimer(slice)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			continue
		}
		fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(slice/time.Millisecond)+1)
		if err != nil && err != unix.EINTR {
			return nil // fall back to the poll interval next time
		}
		if n > 0 {
			for {
				if _, err := unix.Read(w.fd, w.buf); err != nil {
					break
				}
			}
			return nil
		}
	}
}
