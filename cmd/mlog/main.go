// Command mlog is the toolkit's front: called by a daemontools name it is
// that program; called as mlog it runs the subcommands.
package main

import "os"

func main() { os.Exit(run(os.Args)) }
