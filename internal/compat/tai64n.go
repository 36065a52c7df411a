package compat

import "github.com/mlog/mlog/tai64"

// tai64nMain is daemontools' tai64n: it puts a TAI64N label and a space
// before each line of stdin. Like tai64n 0.76 it ignores its arguments.
// daemontools exits 111 without a word on a read or write error; we say
// why on stderr first ("tai64n: fatal: unable to read input: ...").
func tai64nMain(t *Tool, args []string) int {
	if err := tai64.StampLines(t.Stdout, t.Stdin, tai64.StampConfig{}); err != nil {
		return t.Fatal(err)
	}
	return ExitOK
}
