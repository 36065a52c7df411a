package multilog_test

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/mlog/mlog/internal/testkit"
)

// TestTrickleEachLineArrives: lines written one at a time, each in two
// writes, each waited for in current before the next, through both ways
// of waiting of a whole logger: on a description of the pipe of its own,
// and, as under setuidgid, where the pipe is root's (mode 0600) and the
// logger may not open it again, through the nested epoll instance (two
// epoll instances in the process: the runtime's and that one; the count
// shows the other path was not taken instead). A lost wake-up would not
// fail it: the idle deadline ends such a wait within two seconds. That
// property is TestNestedWaiter's and TestPipeWaiter's, where a lost
// wake-up is a wait without a deadline that never ends.
func TestTrickleEachLineArrives(t *testing.T) {
	for _, tc := range []struct {
		name   string
		nobody bool
		epolls int
	}{
		{"own description", false, 1},
		{"setuidgid, root's pipe", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s *started
			if tc.nobody {
				u := nobody(t)
				r, w := newPipe(t)
				s = startIn(t, "", u.workdir(t, "w"), r, w, u, "t", "./d")
			} else {
				s = startMultilog(t, "", "t", "./d")
			}
			for i := 0; i < 100; i++ {
				line := fmt.Sprintf("line %d of a trickle\n", i)
				io.WriteString(s.stdin, line[:7])
				io.WriteString(s.stdin, line[7:])
				testkit.WaitFor(t, "line "+fmt.Sprint(i), func() bool { return strings.HasSuffix(s.read("d/current"), " "+line) })
			}
			if got := epollInstances(s.cmd.Process.Pid); got != tc.epolls {
				t.Errorf("%d epoll instances in the logger, want %d (the other way of waiting was tested)", got, tc.epolls)
			}
			s.stdin.Close()
			if code := s.wait(t); code != 0 {
				t.Errorf("exit %d", code)
			}
		})
	}
}

// epollInstances counts the process's descriptors of epoll instances.
func epollInstances(pid int) int {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if l, _ := os.Readlink(dir + "/" + e.Name()); l == "anon_inode:[eventpoll]" {
			n++
		}
	}
	return n
}
