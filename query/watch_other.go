//go:build !linux

package query

import (
	"context"
	"time"
)

// watcher is nil where there is no inotify: a follow polls.
type watcher struct{}

func newWatcher(dirs []string) (*watcher, error) { return nil, nil }

func (w *watcher) close() {}

// wait returns when poll has passed, or with ctx's error when ctx is done.
func (w *watcher) wait(ctx context.Context, poll time.Duration) error {
	t := time.NewTimer(poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
