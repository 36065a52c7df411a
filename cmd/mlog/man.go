package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/mlog/mlog/docs"
	"github.com/mlog/mlog/internal/fault"
)

// newManCmd writes the man pages, rendered from the same Markdown pages
// that `mlog help NAME` shows (package docs).
func newManCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "man [--dir DIR] [NAME...]",
		Short: "print a program's man page, or write them all into a directory",
		Long: `Print the man page (section 8) of each NAME, e.g. mlog man multilog | man -l -,
or with --dir write NAME.8 for every program into DIR (make install does this).
mlog's own commands have git-style pages: mlog-query.8, mlog-ship.8,
mlog-status.8, mlog-wait.8, mlog-qmail.8, and mlog.8 for mlog itself
(mlog man query and mlog man mlog-query are the same page).

EXIT STATUS
  0    the pages were written
  100  an unknown NAME
  111  a page could not be written`,
		RunE: func(cmd *cobra.Command, args []string) error {
			date := time.Now().UTC().Format("2006-01-02")
			if dir != "" {
				if len(args) == 0 {
					args = docs.Names()
				}
				for _, name := range args {
					page, ok := docs.Man(name, date)
					if !ok {
						return &fault.UsageError{Msg: "no page for " + name}
					}
					if err := os.WriteFile(filepath.Join(dir, docs.ManName(docs.PageName(name))+".8"), []byte(page), 0644); err != nil {
						return err
					}
				}
				return nil
			}
			if len(args) == 0 {
				return cmd.Usage()
			}
			for _, name := range args {
				page, ok := docs.Man(name, date)
				if !ok {
					return &fault.UsageError{Msg: "no page for " + name}
				}
				cmd.OutOrStdout().Write([]byte(page))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "write NAME.8 files into this directory")
	return cmd
}
