package main

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mlog/mlog/benchmarks"
	"github.com/mlog/mlog/internal/fault"
)

func newBenchCmd() *cobra.Command {
	var size int64
	var rounds int
	var dir string
	cmd := &cobra.Command{
		Use:   "bench [--size MB] [--rounds N]",
		Short: "compare multilog's throughput with daemontools, s6-log and svlogd on this machine",
		Long: `Log the same generated qmail-smtpd/qmail-send log through our multilog and each
installed peer (multilog t s16777215 n10 or its equivalent), through a pipe,
interleaved. daemontools' multilog is Debian's /usr/bin/multilog or djb's
/command/multilog, else the first multilog on PATH that is not ours (ours, a Go
binary of this module, may come first there). It prints the median MB/s of
each and its ratio to ours. On a terminal it shows which run is going. The full
comparison, with tai64nlocal, query and memory, is make bench-compare in the
source tree.

EXIT STATUS
  0    the table was printed
  100  bad arguments
  111  a program failed, or the scratch directory could not be used`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			stderr := cmd.ErrOrStderr()
			multilog, err := siblingMultilog()
			if err != nil {
				return &fault.Error{Op: "find", Path: "multilog", Err: err}
			}
			if dir == "" {
				if dir, err = os.MkdirTemp("", "mlog-bench."); err != nil {
					return err
				}
				defer os.RemoveAll(dir)
			}
			cfg := benchmarks.Config{Size: size << 20, Rounds: rounds, Multilog: multilog, Dir: dir}
			if f, ok := stderr.(*os.File); ok && isTerminal(f) {
				cfg.Progress = func(run, runs int, name string) {
					f.WriteString("\rmlog bench: run " + strconv.Itoa(run) + " of " + strconv.Itoa(runs) + ": " + name + "\033[K")
					if run == runs {
						defer f.WriteString("\r\033[K")
					}
				}
			}
			results, err := benchmarks.Multilog(cfg)
			if cfg.Progress != nil {
				stderr.Write([]byte("\r\033[K"))
			}
			if err != nil {
				return &fault.Error{Op: "run the benchmark", Err: err}
			}
			var ours float64
			for _, r := range results {
				if r.Name == "mlog multilog t" {
					ours = r.MBps
				}
			}
			out := cmd.OutOrStdout()
			out.Write([]byte("multilog throughput, " + strconv.FormatInt(size, 10) + " MB through a pipe, median of " + strconv.Itoa(max(rounds, 1)) + " rounds\n"))
			for _, r := range results {
				line := padRight(r.Name, 26) + padLeft(strconv.FormatFloat(r.MBps, 'f', 1, 64), 9) + " MB/s"
				if r.Name != "mlog multilog t" && r.Name != "cat > file" && r.MBps > 0 {
					line += "   mlog is " + strconv.FormatFloat(ours/r.MBps, 'f', 1, 64) + "x faster"
				}
				out.Write([]byte(line + "\n"))
			}
			return nil
		},
	}
	cmd.Flags().Int64Var(&size, "size", 256, "megabytes of log to generate")
	cmd.Flags().IntVar(&rounds, "rounds", 3, "interleaved rounds (the median is reported)")
	cmd.Flags().StringVar(&dir, "dir", "", "scratch directory (default: a temporary one)")
	return cmd
}

// siblingMultilog finds our multilog: beside this binary (make install puts
// them together), else bin/multilog under the working directory.
func siblingMultilog() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, _ = filepath.EvalSymlinks(exe)
		p := filepath.Join(filepath.Dir(exe), "multilog")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	if p, err := filepath.Abs("bin/multilog"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

func padRight(s string, n int) string {
	for len(s) < n {
		s += " "
	}
	return s
}

func padLeft(s string, n int) string {
	for len(s) < n {
		s = " " + s
	}
	return s
}
