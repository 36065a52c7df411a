package compat

import (
	"os"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/supervise"
)

// softlimitUsage follows "softlimit: usage: softlimit ".
const softlimitUsage = "[-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child"

// softlimitMain is softlimit: softlimit [options] child... Each option
// takes effect as it is read, as in daemontools.
func softlimitMain(t *Tool, args []string) int {
	g := getopt{args: args, opts: supervise.SoftlimitOptions}
	for {
		c, ok := g.next(t)
		if !ok {
			break
		}
		if c == '?' {
			return t.Usage(softlimitUsage)
		}
		limits, err := supervise.ParseLimit(c, g.arg)
		if err != nil {
			return t.Usage(softlimitUsage)
		}
		for _, l := range limits {
			if err := supervise.SetLimit(l); err != nil {
				se := err.(*os.SyscallError)
				t.line("fatal", se.Syscall+" failed: "+fault.Reason(se.Err))
				return ExitTemporary
			}
		}
	}
	child := g.rest()
	if len(child) == 0 {
		return t.Usage(softlimitUsage)
	}
	env := os.Environ()
	return execFatal(t, "", child[0], supervise.Exec(child, env, env))
}
