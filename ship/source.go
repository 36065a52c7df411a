package ship

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/tai64"
)

// source is one logdir: it pulls the logdir's lines from query, each with
// its exact position (query owns positions), and puts a message for each
// into the window.
type source struct {
	sh  *shipper
	idx int
	dir string // as given
	key string // filepath.Clean(dir), as cursors name logdirs
	f   *formatter

	start     query.Position // where the run starts, from the cursor
	haveStart bool
}

func newSource(sh *shipper, idx int, dir string, positions []query.Position) *source {
	s := &source{sh: sh, idx: idx, dir: dir, key: filepath.Clean(dir)}
	app := sh.cfg.App
	if app == "" {
		app = appName(s.key)
	}
	s.f = newFormatter(sh.cfg.Priority, sh.cfg.Hostname, app, sh.cfg.MaxSize)
	s.start = query.Position{Logdir: s.key}
	for _, p := range positions {
		if p.Logdir == s.key {
			s.start, s.haveStart = p, true
		}
	}
	return s
}

// appName is the APP-NAME of a logdir's messages: its base name, or, in
// the daemontools layout /service/X/log/main, where every service's
// logdir is called main, the service's name X. The layout is recognized
// by log/run, the log service's script: /var/log/main stays "main".
func appName(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	log := filepath.Dir(dir)
	if _, err := os.Lstat(filepath.Join(log, "run")); err == nil && filepath.Base(dir) == "main" && filepath.Base(log) == "log" {
		if svc := filepath.Base(filepath.Dir(log)); svc != "/" && svc != "." {
			return svc
		}
	}
	return filepath.Base(dir)
}

// kickEvery is how many lines a source puts before it wakes the sender
// even though more are coming: the sender sends what has come in batches.
const kickEvery = 256

// run reads the logdir until ctx is done (or, with Once, to its end).
func (s *source) run(ctx context.Context) error {
	w := &s.sh.w
	cur := &query.Cursor{}
	if s.haveStart {
		cur.Positions = []query.Position{s.start}
	}
	cfg := query.Config{
		Follow: !s.sh.cfg.Once,
		Poll:   s.sh.cfg.Poll,
		Cursor: cur,
		// Called when the pull has given all there is for now.
		Save: func(*query.Cursor) error { w.kick(); return nil },
		Warn: s.sh.warn,
		Zone: s.sh.cfg.Zone,
	}
	n := 0
	defer w.kick()
	for r, err := range query.Pull(ctx, cfg, []string{s.dir}) {
		if err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			return err
		}
		t := r.Time
		if !r.Stamped {
			t = tai64.FromTime(s.sh.cfg.Now())
		}
		if _, err := w.push(s.idx, &r.Pos, r.Text, t, r.StampLen, s.f); err != nil {
			return nil // errStopped: the run is ending
		}
		if n++; n%kickEvery == 0 {
			w.kick()
		}
	}
	return nil
}
