package ship

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/tai64"
)

// archivesOf writes count archives of 10 lines each into dir, from
// archive first on, and returns their names.
func archivesOf(t *testing.T, dir string, first, count int) []string {
	var names []string
	for i := first; i < first+count; i++ {
		st := stampOfLine(i*10 + 9)
		st.Nsec += 1000
		name := rotate.ArchiveName(st, 's')
		var b strings.Builder
		for j := i * 10; j < i*10+10; j++ {
			b.WriteString(logLine(j))
		}
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o744))
		names = append(names, name)
	}
	return names
}

// backlogWarnings runs one backlog check of a shipper that has shipped
// nothing, for logdir dir, and returns the warnings.
func backlogWarnings(t *testing.T, sh *shipper) []*BacklogError {
	var got []*BacklogError
	sh.cfg.Warn = func(err error) {
		var be *BacklogError
		if errors.As(err, &be) {
			got = append(got, be)
		}
	}
	sh.checkBacklog()
	return got
}

// TestBacklogKeepDiffers: the backlog warning does not fire when the
// logdir's n is not ship's -n: a logdir holding more archives than -n
// allows, or whose run script says n20. It learns the real n from
// multilog's pruning, and then warns. Before, both warned falsely.
func TestBacklogKeepDiffers(t *testing.T) {
	t.Run("more archives than -n", func(t *testing.T) {
		dir := newLogdir(t, "main")
		names := archivesOf(t, dir, 0, 15)
		cfg := testConfig(t, "127.0.0.1:1", "")
		cfg.Keep = 10
		sh, err := newShipper(cfg, []string{dir})
		must(t, err)
		if w := backlogWarnings(t, sh); len(w) != 0 {
			t.Fatalf("15 archives under -n 10 (so n is larger): warned %v", w[0])
		}
		// multilog rotates and prunes: it keeps 15, so n is 16.
		archivesOf(t, dir, 15, 1)
		must(t, os.Remove(filepath.Join(dir, names[0])))
		w := backlogWarnings(t, sh)
		if len(w) != 1 || w[0].Keep != 16 || w[0].Archive != names[1] {
			t.Fatalf("after a prune to 15 archives: warnings %v, want one about %s with n16", w, names[1])
		}
	})
	t.Run("run script n20", func(t *testing.T) {
		svc := filepath.Join(t.TempDir(), "qmail", "log")
		dir := filepath.Join(svc, "main")
		must(t, os.MkdirAll(dir, 0o755))
		must(t, os.WriteFile(filepath.Join(svc, "run"), []byte("#!/bin/sh\nexec setuidgid qmaill \\\n  multilog t s16777215 n20 ./main\n"), 0o755))
		archivesOf(t, dir, 0, 9)
		sh, err := newShipper(testConfig(t, "127.0.0.1:1", ""), []string{dir})
		must(t, err)
		if w := backlogWarnings(t, sh); len(w) != 0 {
			t.Fatalf("9 archives with n20 in log/run: warned %v", w[0])
		}
		archivesOf(t, dir, 9, 10) // 19: at n20's limit
		if w := backlogWarnings(t, sh); len(w) != 1 || w[0].Keep != 20 {
			t.Fatalf("19 archives with n20: warnings %v, want one with n20", w)
		}
	})
}

func TestRunScriptKeep(t *testing.T) {
	svc := filepath.Join(t.TempDir(), "log")
	must(t, os.MkdirAll(filepath.Join(svc, "main"), 0o755))
	must(t, os.MkdirAll(filepath.Join(svc, "other"), 0o755))
	for _, c := range []struct {
		script, dir string
		want        int
		ok          bool
	}{
		{"exec multilog t ./main", "main", 10, true},
		{"exec multilog t n5 ./other n30 ./main", "main", 30, true},
		{"exec multilog t n5 ./other n30 ./main", "other", 5, true},
		{"exec multilog t n5 " + filepath.Join(svc, "main"), "main", 5, true},
		{"exec multilog t n5 '+*fatal*' ./other", "main", 0, false},
	} {
		must(t, os.WriteFile(filepath.Join(svc, "run"), []byte(c.script+"\n"), 0o755))
		n, ok := runScriptKeep(filepath.Join(svc, c.dir))
		if n != c.want || ok != c.ok {
			t.Errorf("%q, %s: %d, %v; want %d, %v", c.script, c.dir, n, ok, c.want, c.ok)
		}
	}
}

func TestPruneLimitLearns(t *testing.T) {
	s := func(ids ...int) []tai64.Time {
		var out []tai64.Time
		for _, i := range ids {
			out = append(out, stampOfLine(i))
		}
		return out
	}
	l := pruneLimit{keep: 4, known: true}
	steps := []struct {
		stamps []tai64.Time
		keep   int
		known  bool
	}{
		{s(1, 2), 4, true},
		{s(1, 2, 3), 4, true},
		{s(1, 2, 3, 4), 4, false}, // more than n-1: n is not 4
		{s(1, 2, 3, 4, 5), 4, false},
		{s(2, 3, 4, 5, 6), 6, true}, // pruned to 5: n is 6
		{s(3, 4, 5, 6, 7), 6, true},
	}
	for i, st := range steps {
		if k, ok := l.update(st.stamps); k != st.keep || ok != st.known {
			t.Errorf("step %d: %d, %v; want %d, %v", i, k, ok, st.keep, st.known)
		}
	}
}
