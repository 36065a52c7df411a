package ship

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// pruneLimit is what ship knows of a logdir's n, multilog's count of
// archives kept (n-1) before it prunes the oldest, for the backlog
// warning. The n ship is told (-n) or assumes (10) can be wrong: a logdir
// written with n20 holds more archives than ship's n allows, and a warning
// that its oldest is about to go would then be false. So the n is taken,
// in order, from the log service's run script (X/log/run, for
// X/log/main), from -n, or is multilog's default, and is believed only
// until the logdir contradicts it: when more archives are there than n-1,
// n is unknown (and nothing is warned) until ship sees multilog prune,
// which it does once the logdir reaches its real n-1.
type pruneLimit struct {
	keep   int        // the n believed, if known
	known  bool       // keep is believed
	oldest tai64.Time // the oldest archive's stamp at the last look
	seen   bool       // oldest is set
}

// newPruneLimit returns the limit for logdir dir: n from its run script
// if there is one, else keep if given (> 0), else 10.
func newPruneLimit(dir string, keep int) pruneLimit {
	if n, ok := runScriptKeep(dir); ok {
		return pruneLimit{keep: n, known: true}
	}
	if keep <= 0 {
		keep = 10
	}
	return pruneLimit{keep: keep, known: true}
}

// update looks at the archives' stamps (oldest first, one per archive)
// and returns the n believed, and whether one is.
func (l *pruneLimit) update(stamps []tai64.Time) (int, bool) {
	count := len(stamps)
	if count == 0 {
		l.seen = false
		return l.keep, l.known
	}
	if l.seen && l.oldest.Before(stamps[0]) {
		// The oldest went: multilog pruned, leaving n-1. (An operator's
		// rm teaches the same, wrongly; the next prune corrects it.)
		l.keep, l.known = count+1, true
	} else if count > l.keep-1 {
		l.known = false
	}
	l.oldest, l.seen = stamps[0], true
	return l.keep, l.known
}

// archiveStamps returns the stamps of dir's archives, oldest first, one
// per archive: multilog counts names, and an archive there both plain and
// compressed (for a moment) is one.
func archiveStamps(dir string) []tai64.Time {
	files, err := rotate.List(dir)
	if err != nil {
		return nil
	}
	var out []tai64.Time
	for i := range files {
		f := &files[i]
		if f.Kind == rotate.KindArchive && (i == 0 || !files[i-1].Twin(f)) {
			out = append(out, f.Archive.Stamp)
		}
	}
	return out
}

// runScriptKeep returns the n that the log service's run script gives
// logdir dir: for X/log/main, X/log/run, read as multilog's arguments
// (s6-log's too): the last nNUM before the word naming the logdir, or 10
// if none. It reports false if there is no such script or it does not
// name the logdir.
func runScriptKeep(dir string) (int, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, false
	}
	svc := filepath.Dir(abs)
	f, err := os.Open(filepath.Join(svc, "run"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var buf [16 << 10]byte // a run script is a few lines
	m, _ := f.Read(buf[:])
	text := strings.ReplaceAll(string(buf[:m]), "\\\n", " ")
	n := 10
	for _, w := range strings.Fields(text) {
		w = strings.Trim(w, `"'`)
		if w == "" {
			continue
		}
		if len(w) > 1 && w[0] == 'n' {
			if v, err := strconv.Atoi(w[1:]); err == nil && v >= 2 {
				n = v
			}
			continue
		}
		if (w[0] == '.' || w[0] == '/') && filepath.Join(svc, w) == abs || filepath.IsAbs(w) && filepath.Clean(w) == abs {
			return n, true
		}
	}
	return 0, false
}
