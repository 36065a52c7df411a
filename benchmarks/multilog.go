package benchmarks

import (
	"debug/buildinfo"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/mlog/mlog/benchmarks/smtplog"
)

// Config is one run of [Multilog]. Zero values mean the defaults.
type Config struct {
	Size     int64  // bytes of generated SMTP log to log (default 256 MiB)
	Rounds   int    // interleaved rounds; the median is reported (default 3)
	Multilog string // our multilog binary (required)
	Dir      string // scratch directory (required); the input is kept there between runs
	// Progress, if set, is told before each run what is about to run.
	Progress func(run, runs int, name string)
}

// Result is one program's median throughput.
type Result struct {
	Name string
	MBps float64 // 10^6 bytes of input a second
	Runs []time.Duration
}

// program is one logger to compare; argv runs in a fresh directory with
// the log on stdin through a pipe, and writes logdir ./d.
type program struct {
	name  string
	argv  []string
	setup func(dir string) error
}

// Multilog logs the same generated SMTP log through our multilog and each
// installed peer (daemontools' multilog, s6-log, svlogd, and cat > file
// for scale), `t s16777215 n10` or the peer's equivalent, interleaved, and
// returns the medians, fastest first. The input reaches each program
// through a pipe, as a service's output reaches its logger.
func Multilog(cfg Config) ([]Result, error) {
	if cfg.Size <= 0 {
		cfg.Size = 256 << 20
	}
	if cfg.Rounds <= 0 {
		cfg.Rounds = 3
	}
	if cfg.Multilog == "" || cfg.Dir == "" {
		return nil, errors.New("benchmarks: Multilog and Dir are required")
	}
	input := filepath.Join(cfg.Dir, "smtp.log")
	if st, err := os.Stat(input); err != nil || st.Size() < cfg.Size*9/10 || st.Size() > cfg.Size {
		if err := generate(input, cfg.Size); err != nil {
			return nil, err
		}
	}
	progs := []program{{name: "mlog multilog t", argv: []string{cfg.Multilog, "t", "s16777215", "n10", "./d"}}}
	if p := peerMultilog(cfg.Multilog, os.Getenv("PATH")); p != "" {
		progs = append(progs, program{name: "daemontools multilog t", argv: []string{p, "t", "s16777215", "n10", "./d"}})
	}
	if p, err := exec.LookPath("s6-log"); err == nil {
		progs = append(progs, program{name: "s6-log t", argv: []string{p, "-b", "n10", "s16777215", "t", "./d"}})
	}
	if p, err := exec.LookPath("svlogd"); err == nil {
		progs = append(progs, program{name: "svlogd -t", argv: []string{p, "-t", "-b", "65536", "d"}, setup: func(dir string) error {
			if err := os.Mkdir(filepath.Join(dir, "d"), 0700); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "d", "config"), []byte("s16777215\nn10\n"), 0644)
		}})
	}
	progs = append(progs, program{name: "cat > file", argv: []string{"sh", "-c", "exec cat >file"}})

	runs := make([][]time.Duration, len(progs))
	for round := 0; round < cfg.Rounds; round++ {
		for i, p := range progs {
			if cfg.Progress != nil {
				cfg.Progress(round*len(progs)+i+1, cfg.Rounds*len(progs), p.name)
			}
			d, err := runOnce(cfg.Dir, input, p)
			if err != nil {
				return nil, err
			}
			runs[i] = append(runs[i], d)
		}
	}
	var results []Result
	for i, p := range progs {
		r := append([]time.Duration(nil), runs[i]...)
		sort.Slice(r, func(a, b int) bool { return r[a] < r[b] })
		med := r[len(r)/2]
		results = append(results, Result{Name: p.name, MBps: float64(cfg.Size) / med.Seconds() / 1e6, Runs: runs[i]})
	}
	sort.SliceStable(results, func(a, b int) bool { return results[a].MBps > results[b].MBps })
	return results, nil
}

// daemontoolsPlaces are where daemontools' multilog is installed: Debian's
// package, then djb's /command. They are tried before PATH, where ours
// (make install puts it in /usr/local/bin) usually comes first.
var daemontoolsPlaces = []string{"/usr/bin/multilog", "/command/multilog"}

// peerMultilog returns daemontools' multilog: the first of
// daemontoolsPlaces, then of the multilogs on path, that is not ours, or
// "" if there is none. Ours is any Go binary built from this module (a
// copy, or a link to mlog), not only the one given.
func peerMultilog(ours, path string) string {
	oursResolved, _ := filepath.EvalSymlinks(ours)
	candidates := append([]string(nil), daemontoolsPlaces...)
	for _, d := range filepath.SplitList(path) {
		if d != "" {
			candidates = append(candidates, filepath.Join(d, "multilog"))
		}
	}
	for _, p := range candidates {
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
			continue
		}
		if r, _ := filepath.EvalSymlinks(p); r == oursResolved {
			continue
		}
		if bi, err := buildinfo.ReadFile(p); err == nil && bi.Main.Path == modulePath {
			continue
		}
		return p
	}
	return ""
}

// modulePath is this module's path, as Go binaries built from it record it.
const modulePath = "github.com/mlog/mlog"

func generate(path string, size int64) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	g := smtplog.New(1, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), false)
	if err := g.Write(f, size); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// runOnce runs p in a fresh directory with input piped to it and returns
// how long it took from start to exit.
func runOnce(dir, input string, p program) (time.Duration, error) {
	work := filepath.Join(dir, "run")
	if err := os.RemoveAll(work); err != nil {
		return 0, err
	}
	if err := os.Mkdir(work, 0755); err != nil {
		return 0, err
	}
	defer os.RemoveAll(work)
	if p.setup != nil {
		if err := p.setup(work); err != nil {
			return 0, err
		}
	}
	in, err := os.Open(input)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Dir = work
	w, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	_, copyErr := io.Copy(w, in)
	w.Close()
	if err := cmd.Wait(); err != nil {
		return 0, errors.New(p.name + ": " + err.Error())
	}
	if copyErr != nil {
		return 0, copyErr
	}
	return time.Since(start), nil
}
