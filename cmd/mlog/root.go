package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/mlog/mlog/docs"
	"github.com/mlog/mlog/internal/compat"
)

// version is set by the linker (make sets it from git describe).
var version = "dev"

// exitError carries an exit code out of a cobra RunE.
type exitError struct{ code int }

func (e *exitError) Error() string { return "exit" }

// run dispatches on argv[0] for the daemontools names, else runs the cobra
// tree, and returns the exit code.
func run(argv []string) int {
	if name, m, ok := compat.Lookup(argv[0]); ok {
		return compat.Run(name, m, argv[1:])
	}
	var root *cobra.Command
	if len(argv) > 1 && argv[1] == "query" {
		// mlog query runs in loops and scripts, where start-up is most of
		// its time. A plain run skips cobra altogether; help and usage
		// errors go through the query command alone, which parses the
		// same flags and prints the same help as it does in the whole
		// tree (every command made, every manual page copied in).
		if code, ok := queryFast(argv[2:], os.Stdout, os.Stderr); ok {
			return code
		}
		root = newBareRoot()
		root.CompletionOptions.DisableDefaultCmd = true // mlog completion is not mlog query
		root.AddCommand(newQueryCmd())
	} else {
		root = newRoot()
	}
	root.SetArgs(argv[1:])
	err := root.Execute()
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		os.Stderr.WriteString("mlog: usage: " + err.Error() + "\n")
		return compat.ExitUsage
	}
}

// newBareRoot returns the root command without its subcommands.
func newBareRoot() *cobra.Command {
	return &cobra.Command{
		Use:           "mlog",
		Short:         "mlog: a drop-in, faster daemontools logging and supervision toolkit",
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
}

func newRoot() *cobra.Command {
	root := newBareRoot()
	for _, name := range compat.Names() {
		if name == "tai64nlocal" {
			continue // mlog tai64nlocal has its own flags; see tai64nlocal.go
		}
		root.AddCommand(compatCommand(name))
	}
	// Every modern command, in one list: a file that makes a command does
	// not add itself, so the tree is read here.
	root.AddCommand(
		newTai64nlocalCmd(),
		newQueryCmd(),
		newShipCmd(),
		newStatusCmd(),
		newWaitCmd(),
		newBenchCmd(),
		newManCmd(),
		newCompressCmd(),
		newVersionCmd(),
	)
	return root
}

// compatCommand runs a daemontools program with daemontools' own argument
// parsing: cobra must not read its words (multilog scripts are full of
// -pattern words).
func compatCommand(name string) *cobra.Command {
	long, _ := docs.Page(name)
	return &cobra.Command{
		Use:                name + " [args...]",
		Short:              "the daemontools " + name + " program, drop-in",
		Long:               long, // mlog help NAME shows the manual page
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Through the mlog front, help never runs the program: mlog
			// multilog --help would otherwise wait on stdin and mlog
			// svscanboot --help would start svscan. The bare names keep
			// daemontools' argument handling (there -h is a script word).
			if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
				return cmd.Help()
			}
			_, m, _ := compat.Lookup(name)
			if code := compat.Run(name, m, args); code != 0 {
				return &exitError{code}
			}
			return nil
		},
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print mlog's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			cmd.OutOrStdout().Write([]byte("mlog " + version + "\n"))
		},
	}
}
