package ship

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/internal/testkit"
)

// TestCommitErrorSaysItsStepOnce: a cursor that cannot be saved is
// reported as "unable to save cursor FILE, pausing 1s: ...", naming the
// step once, not "save cursor FILE: save cursor FILE: ..." (commit's error
// already carried its step, and the commit loop wrapped it again).
func TestCommitErrorSaysItsStepOnce(t *testing.T) {
	_, dir, cfg := shipSetup(t, 100)
	cursor := cfg.Cursor
	var mu sync.Mutex
	var warnings []string
	cfg.Warn = func(err error) {
		mu.Lock()
		warnings = append(warnings, fault.Describe(err))
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := Run(ctx, cfg, []string{dir}); done <- err }()
	// Once the first save is done (Run stops at once if it fails), a
	// directory at cursor.new, which SaveCursor writes first, makes every
	// later save fail; more lines make the commit loop save again.
	testkit.WaitFor(t, "the first save", func() bool {
		_, err := os.Stat(cursor)
		return err == nil && os.Mkdir(cursor+".new", 0o755) == nil
	})
	appendLines(t, dir, 100, 200)
	testkit.WaitFor(t, "a warning", func() bool { mu.Lock(); defer mu.Unlock(); return len(warnings) > 0 })
	cancel()
	err := <-done
	mu.Lock()
	defer mu.Unlock()
	texts := warnings
	if err != nil {
		texts = append(texts, fault.Describe(err))
	}
	saves := 0
	for _, s := range texts {
		if n := strings.Count(s, "save cursor"); n > 1 {
			t.Errorf("%q names its step %d times", s, n)
		} else if n == 1 {
			saves++
		}
	}
	if saves == 0 {
		t.Errorf("no failed save reported: warnings %q, error %v", warnings, err)
	}
}
