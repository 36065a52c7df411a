package ship

import (
	"path/filepath"
	"syscall"
	"time"

	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/rotate"
)

// backlogEvery is how often the logdirs are looked at for a backlog about
// to be pruned.
const backlogEvery = 10 * time.Second

// commitLoop saves the cursor whenever acknowledgements move it, and
// looks for backlogs, until stop is closed.
func (sh *shipper) commitLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(backlogEvery)
	defer tick.Stop()
	sh.checkBacklog()
	for {
		select {
		case <-sh.commitC:
			if err := sh.commit(false); err != nil {
				// commit's error names its step already: pause it, do
				// not wrap it again.
				oe, ok := err.(*OpError)
				if !ok {
					oe = &OpError{Op: "save cursor", Path: sh.cfg.Cursor, Err: err}
				}
				sh.warn(&PauseError{Err: oe, Pause: time.Second})
				select {
				case <-time.After(time.Second):
				case <-stop:
					return
				}
				sh.w.mu.Lock()
				sh.w.changed = true
				sh.w.mu.Unlock()
				select {
				case sh.commitC <- struct{}{}:
				default:
				}
			}
		case <-tick.C:
			sh.checkBacklog()
		case <-stop:
			return
		}
	}
}

// commit saves the positions acknowledged so far, if they changed (or
// always, with force).
func (sh *shipper) commit(force bool) error {
	if sh.cfg.Cursor == "" {
		return nil
	}
	w := &sh.w
	w.mu.Lock()
	if !w.changed && !force {
		w.mu.Unlock()
		return nil
	}
	w.changed = false
	for i, p := range w.committed {
		if w.have[i] {
			sh.cursor.Set(p)
		}
	}
	w.mu.Unlock()
	if err := query.SaveCursor(sh.cfg.Cursor, &sh.cursor); err != nil {
		w.mu.Lock()
		w.changed = true
		w.mu.Unlock()
		return &OpError{Op: "save cursor", Path: sh.cfg.Cursor, Err: err}
	}
	return nil
}

// checkBacklog warns about each logdir whose oldest archive holds lines
// not yet acknowledged while the logdir has as many archives as multilog
// keeps: its next rotation deletes that archive. It warns once per
// archive.
func (sh *shipper) checkBacklog() {
	w := &sh.w
	for i, s := range sh.srcs {
		w.mu.Lock()
		pos, have := w.committed[i], w.have[i]
		w.mu.Unlock()
		keep, known := sh.limits[i].update(archiveStamps(s.dir))
		if !known {
			continue // the logdir keeps more than we were told: n unknown
		}
		name, ok := atRisk(s.dir, pos, have, keep)
		if ok && name != sh.warned[i] {
			sh.warn(&BacklogError{Logdir: s.dir, Archive: name, Keep: keep})
			sh.warned[i] = name
		}
	}
}

// atRisk returns the oldest archive of dir if lines after pos are in it
// and multilog (keeping keep-1 archives) deletes it at its next rotation.
// An archive is named when it was finished, after every line in it; so
// lines after pos are in it unless pos is at or after that time, or pos
// is the end of that very file.
func atRisk(dir string, pos query.Position, have bool, keep int) (string, bool) {
	as, err := rotate.Archives(dir)
	if err != nil || len(as) == 0 {
		return "", false
	}
	// multilog counts names, so an archive there both plain and
	// compressed (for a moment) counts twice: count the stamps instead.
	n := 1
	for i := 1; i < len(as); i++ {
		if as[i].Stamp != as[i-1].Stamp {
			n++
		}
	}
	if n < keep-1 {
		return "", false
	}
	oldest := as[0]
	if have && !pos.Time.Before(oldest.Stamp) {
		return "", false
	}
	if have && pos.Ino != 0 && oldest.Compression == rotate.None {
		var st syscall.Stat_t
		if syscall.Lstat(filepath.Join(dir, oldest.Name), &st) == nil &&
			uint64(st.Dev) == pos.Dev && uint64(st.Ino) == pos.Ino && pos.Offset >= st.Size {
			return "", false
		}
	}
	return oldest.Name, true
}
