package query

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlog/mlog/internal/testkit"
	"github.com/mlog/mlog/tai64"
)

// hostileTimeout bounds a run over a hostile logdir. Nothing in it may
// block: a run reads a few small files, so one that takes this long is
// stuck on a FIFO, not slow.
const hostileTimeout = 60 * time.Second

// secretLine is the content of a file only root may read. It looks like a
// log line in every range, so that a query that read it would print it.
const secretLine = "@4000000069579d90000001f4 SECRET-c0ffee root only\n"

// hostileLogdir is [testkit.HostileLogdir] with secretLine as the secret.
func hostileLogdir(t *testing.T, script string) string {
	t.Helper()
	return testkit.HostileLogdir(t, secretLine, script)
}

// hostileScripts are logdirs prepared by their owner to make root read a
// file it must not, or block on a FIFO: links and FIFOs under every name
// a query reads, with real lines beside them.
var hostileScripts = []struct {
	name   string
	script string
	want   string   // the lines a query must print
	skip   []string // the names it must report as skipped
}{
	{
		name: "archives",
		script: `printf '@4000000069579d7e000001f4 good 1\n' > @4000000069579d8c00000000.s
ln -s "$SECRET" @4000000069579d8d00000000.s
mkfifo @4000000069579d8e00000000.s
ln -s "$SECRET" @4000000069579d8f00000000.u
mkfifo @4000000069579d9000000000.s.zst
ln -s "$SECRET" @4000000069579d9100000000.s.gz
printf '@4000000069579daa000001f4 good 2\n' > current`,
		want: "@4000000069579d7e000001f4 good 1\n@4000000069579daa000001f4 good 2\n",
		skip: []string{"@4000000069579d8d00000000.s", "@4000000069579d8e00000000.s", "@4000000069579d8f00000000.u",
			"@4000000069579d9000000000.s.zst", "@4000000069579d9100000000.s.gz"},
	},
	{
		name: "current link",
		script: `printf '@4000000069579d7e000001f4 good 1\n' > @4000000069579d8c00000000.s
ln -s "$SECRET" current
ln -s "$SECRET" previous`,
		want: "@4000000069579d7e000001f4 good 1\n",
		skip: []string{"current", "previous"},
	},
	{
		name: "current fifo",
		script: `printf '@4000000069579d7e000001f4 good 1\n' > @4000000069579d8c00000000.s
mkfifo current processed`,
		want: "@4000000069579d7e000001f4 good 1\n",
		skip: []string{"current", "processed"},
	},
	{
		name:   "only a fifo",
		script: `mkfifo current`,
		skip:   []string{"current"},
	},
}

// TestHostileOwner: root queries logdirs whose owner made archive names,
// current, previous and processed symbolic links to a file only root may
// read, or FIFOs. The query prints the real lines, never the secret,
// reports each skipped name, counts none as a failure, and never blocks:
// plain, bounded, with --scan, with a cursor, and following.
func TestHostileOwner(t *testing.T) {
	for _, tc := range hostileScripts {
		t.Run(tc.name, func(t *testing.T) {
			dir := hostileLogdir(t, tc.script)
			for _, mode := range []struct {
				name string
				cfg  Config
			}{
				{"all", Config{}},
				{"bounded", Config{Since: mustLabel(t, "@4000000069579d0000000000"), Until: mustLabel(t, "@4000000069579e0000000000")}},
				{"scan", Config{Scan: true}},
				{"cursor", Config{Cursor: &Cursor{}}},
				{"follow", Config{Follow: true, Poll: 10 * time.Millisecond}},
			} {
				t.Run(mode.name, func(t *testing.T) {
					cfg := mode.cfg
					var warnings []string
					cfg.Warn = func(err error) { warnings = append(warnings, err.Error()) }
					ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
					defer cancel()
					if cfg.Follow {
						// A follow ends when asked to: ask once it has had
						// time to look at everything a few times.
						ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
						defer cancel()
					}
					var out bytes.Buffer
					done := make(chan struct{})
					var st Stats
					var err error
					start := time.Now()
					go func() {
						defer close(done)
						st, err = Run(ctx, cfg, []string{dir}, &out)
					}()
					select {
					case <-done:
					case <-time.After(hostileTimeout + 10*time.Second):
						t.Fatalf("query still running after %v: blocked on a FIFO?", time.Since(start))
					}
					if err != nil {
						t.Fatalf("Run: %v", err)
					}
					if strings.Contains(out.String(), "SECRET") {
						t.Fatalf("the secret was printed: %q", out.String())
					}
					if out.String() != tc.want {
						t.Errorf("output %q, want %q", out.String(), tc.want)
					}
					if st.Failed != 0 {
						t.Errorf("Failed = %d, want 0 (skipped files are not failures)", st.Failed)
					}
					for _, name := range tc.skip {
						want := "skipped " + filepath.Join(dir, name) + ": "
						found := 0
						for _, w := range warnings {
							if strings.HasPrefix(w, want) {
								found++
							}
						}
						if found != 1 {
							t.Errorf("%s reported %d times, want once; warnings %q", name, found, warnings)
						}
					}
				})
			}
		})
	}
}

func mustLabel(t *testing.T, s string) tai64.Time {
	t.Helper()
	l, err := ParseTime(s, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
