package multilog_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mlog/mlog/internal/testkit"
)

// TestTrickleEachLineArrives: lines written one at a time, each in two
// writes, each waited for in current before the next: the logger waits
// without a look after a tee that emptied the pipe, so a wake-up lost
// there would leave a line unwritten until the next (here: never, and the
// wait fails).
func TestTrickleEachLineArrives(t *testing.T) {
	s := startMultilog(t, "", "t", "./d")
	for i := 0; i < 100; i++ {
		line := fmt.Sprintf("line %d of a trickle\n", i)
		io.WriteString(s.stdin, line[:7])
		io.WriteString(s.stdin, line[7:])
		testkit.WaitFor(t, "line "+fmt.Sprint(i), func() bool { return strings.HasSuffix(s.read("d/current"), " "+line) })
	}
	s.stdin.Close()
	if code := s.wait(t); code != 0 {
		t.Errorf("exit %d", code)
	}
}
