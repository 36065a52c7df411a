package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mlog/mlog/docs"
	"github.com/mlog/mlog/internal/compat"
	"github.com/mlog/mlog/internal/fault"
)

// version is set by the linker (make sets it from git describe).
var version = "dev"

// exitError carries an exit code out of a cobra RunE whose command has
// printed its own message (query's grep-like codes, status, ship).
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
	cmd, err := root.ExecuteC()
	return exit(cmd, err, os.Stderr)
}

// exit is the one place where a command's error becomes a message and an
// exit code, as gh's ghcmd.Main does: the message is printed by
// [compat.Tool], named after the command ("mlog wait: usage: ..."), and
// the code is [fault.ExitCode]'s. An error that is neither a usage error
// nor a system failure comes from cobra's own parsing (an unknown command
// or flag, a wrong number of arguments): a usage error too.
func exit(cmd *cobra.Command, err error, stderr io.Writer) int {
	var ee *exitError
	switch {
	case err == nil:
		return fault.ExitOK
	case errors.As(err, &ee):
		return ee.code
	}
	name := "mlog"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	if !errors.Is(err, fault.ErrUsage) && !isFailure(err) {
		err = &fault.UsageError{Msg: err.Error()}
	}
	return (&compat.Tool{Name: name, Stderr: stderr}).Fatal(err)
}

// atLeast is cobra.MinimumNArgs with a message in daemontools' way: what
// is missing, then how the command is used ("mlog wait: usage: missing
// DIR: mlog wait (-u|-d) [-T timeout] DIR...").
func atLeast(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			use := cmd.Use // as written: UseLine would add "[flags]" after it
			if p := cmd.Parent(); p != nil {
				use = p.CommandPath() + " " + use
			}
			return &fault.UsageError{Msg: "missing " + what + ": " + use}
		}
		return nil
	}
}

// isFailure reports whether err is a failed operation, as opposed to one
// of cobra's complaints about arguments.
func isFailure(err error) bool {
	var fe *fault.Error
	var pe *fs.PathError
	var le *os.LinkError
	var errno syscall.Errno
	return errors.As(err, &fe) || errors.As(err, &pe) || errors.As(err, &le) || errors.As(err, &errno)
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
		newQmailCmd(),
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
	cmd := &cobra.Command{
		Use:                name + " [args...]",
		Short:              "the daemontools " + name + " program, drop-in",
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
	// mlog help NAME shows the manual page as man shows it, rendered when
	// asked for: rendering every page costs ~25 ms, which every run of
	// mlog would pay if it were done here.
	help := cmd.HelpFunc()
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		c.Long = compatLong(name)
		help(c, args)
	})
	return cmd
}

// compatLong is the help text of a daemontools name: its manual page.
func compatLong(name string) string {
	long, _ := docs.Text(name)
	return long
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
