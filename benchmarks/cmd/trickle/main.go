// Command trickle feeds many loggers a trickle of lines the way tcpserver
// and qmail-send write (a few small writes per event), for benchmarks/
// trickle.sh: N loggers of each implementation, each fed LINES lines every
// EVERY in WRITES writes, for FOR. Every event goes to every logger, ours
// and theirs alternately first, so both see the same feed at the same
// moments. At the end (before the pipes close) it sums each
// implementation's CPU time (utime+stime, clock ticks, /proc/PID/stat) and
// resident memory (VmRSS and Pss), then closes the pipes, waits for the
// loggers and counts the lines they wrote (lost must be 0).
//
//	trickle -n 50 -for 60s -script 't s16777215 n5' -dir /tmp/w ours=bin/multilog theirs=/usr/bin/multilog
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mlog/mlog/rotate"
)

type logger struct {
	impl string
	dir  string
	cmd  *exec.Cmd
	w    *os.File
}

func main() {
	n := flag.Int("n", 50, "loggers of each implementation")
	lines := flag.Int("lines", 10, "lines per event")
	writes := flag.Int("writes", 5, "writes per event (the lines split among them)")
	every := flag.Duration("every", 10*time.Millisecond, "time between events")
	dur := flag.Duration("for", 60*time.Second, "how long to feed")
	script := flag.String("script", "t s16777215 n5", "the multilog script before the logdir")
	dir := flag.String("dir", "", "work directory (required)")
	flag.Parse()
	if *dir == "" || flag.NArg() == 0 || *writes < 1 || *lines < *writes {
		fmt.Fprintln(os.Stderr, "usage: trickle [flags] -dir DIR name=multilog...")
		os.Exit(100)
	}
	var impls, bins []string
	for _, a := range flag.Args() {
		name, bin, ok := strings.Cut(a, "=")
		if !ok {
			fmt.Fprintln(os.Stderr, "trickle: want name=path, got", a)
			os.Exit(100)
		}
		impls, bins = append(impls, name), append(bins, bin)
	}

	// Interleaved: logger i of every implementation, then i+1.
	var all []*logger
	for i := 0; i < *n; i++ {
		for k, impl := range impls {
			l := &logger{impl: impl, dir: filepath.Join(*dir, impl, strconv.Itoa(i))}
			if err := os.MkdirAll(filepath.Dir(l.dir), 0755); err != nil {
				fatal(err)
			}
			r, w, err := os.Pipe()
			if err != nil {
				fatal(err)
			}
			args := append(strings.Fields(*script), l.dir)
			l.cmd = exec.Command(bins[k], args...)
			l.cmd.Stdin, l.cmd.Stderr = r, os.Stderr
			if err := l.cmd.Start(); err != nil {
				fatal(err)
			}
			r.Close()
			l.w = w
			all = append(all, l)
		}
	}

	// One event: lines lines in writes writes, as a server that flushes
	// after each small group of lines.
	var ev []byte
	seq := 0
	event := func(buf []byte) []byte {
		buf = buf[:0]
		for j := 0; j < *lines; j++ {
			buf = append(buf, "delivery "...)
			buf = strconv.AppendInt(buf, int64(seq+j), 10)
			buf = append(buf, ": success: 192.0.2.7_accepted_message./Remote_host_said:_250_2.0.0_Ok:_queued_as_4F2A1/\n"...)
		}
		return buf
	}
	per := *lines / *writes
	tick := time.NewTicker(*every)
	end := time.Now().Add(*dur)
	events := 0
	for time.Now().Before(end) {
		<-tick.C
		ev = event(ev)
		seq += *lines
		events++
		// Alternate which implementation goes first.
		for j := range all {
			idx := j
			if events%2 == 1 {
				idx = len(all) - 1 - j
			}
			l := all[idx]
			p := ev
			for k := 0; k < *writes; k++ {
				m := bytes.IndexByte(p, '\n') + 1
				for c := 1; c < per && k < *writes-1; c++ {
					m += bytes.IndexByte(p[m:], '\n') + 1
				}
				if k == *writes-1 {
					m = len(p)
				}
				if _, err := l.w.Write(p[:m]); err != nil {
					fatal(err)
				}
				p = p[m:]
			}
		}
	}
	tick.Stop()

	type sum struct {
		ticks, rss, pss, events, lines, logged int
		pruned                                 bool // n dropped the oldest archives: lost cannot be told
	}
	sums := map[string]*sum{}
	for _, impl := range impls {
		sums[impl] = &sum{}
	}
	for _, l := range all {
		s := sums[l.impl]
		s.ticks += ticks(l.cmd.Process.Pid)
		s.rss += kb("/proc/"+strconv.Itoa(l.cmd.Process.Pid)+"/status", "VmRSS:")
		s.pss += kb("/proc/"+strconv.Itoa(l.cmd.Process.Pid)+"/smaps_rollup", "Pss:")
	}
	for _, l := range all {
		l.w.Close()
	}
	for _, l := range all {
		if err := l.cmd.Wait(); err != nil {
			fmt.Fprintln(os.Stderr, "trickle:", l.impl, l.dir, err)
		}
		s := sums[l.impl]
		s.events += events
		s.lines += events * *lines
		n, whole := countLines(l.dir)
		s.logged += n
		if !whole {
			s.pruned = true
		}
	}
	fmt.Printf("%-12s %7s %8s %10s %12s %12s %10s %8s\n", "impl", "loggers", "ticks", "us/event", "VmRSS kB", "Pss kB", "lines", "lost")
	base := sums[impls[len(impls)-1]]
	for _, impl := range impls {
		s := sums[impl]
		us := float64(s.ticks) * 1e6 / 100 / float64(s.events)
		lost := strconv.Itoa(s.lines - s.logged)
		if s.pruned {
			lost = "pruned"
		}
		fmt.Printf("%-12s %7d %8d %10.1f %12d %12d %10d %8s\n", impl, *n, s.ticks, us, s.rss, s.pss, s.lines, lost)
	}
	if len(impls) > 1 {
		for _, impl := range impls[:len(impls)-1] {
			s := sums[impl]
			fmt.Printf("%s / %s: CPU %.2fx, VmRSS %.2fx, Pss %.2fx\n", impl, impls[len(impls)-1],
				float64(s.ticks)/float64(max(base.ticks, 1)), float64(s.rss)/float64(max(base.rss, 1)), float64(s.pss)/float64(max(base.pss, 1)))
		}
	}
}

// ticks is utime+stime of pid in clock ticks (fields 14 and 15 of
// /proc/PID/stat, counted after the parenthesised command name).
func ticks(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return u + s
}

func kb(file, field string) int {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// countLines counts the lines in the files of logdir dir that hold lines
// (archives, then current), and reports whether the first line fed is
// still there (else n pruned archives).
func countLines(dir string) (n int, whole bool) {
	files, _ := rotate.List(dir)
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(dir, f.Name))
		n += bytes.Count(b, []byte{'\n'})
		whole = whole || bytes.Contains(b, []byte(" delivery 0: "))
	}
	return n, whole
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "trickle:", err)
	os.Exit(111)
}
