// Command matchtest is the test helper that daemontools 0.76's rts.tests
// calls: `matchtest PATTERN LINE` prints "+PATTERN (LINE)" when multilog's
// pattern matcher selects LINE by PATTERN, else "-PATTERN (LINE)". A
// missing argument is the empty string, as in djb's matchtest.c. It is not
// installed.
package main

import (
	"os"

	"github.com/mlog/mlog/multilog"
)

func main() {
	pattern, line := "", ""
	if len(os.Args) > 1 {
		pattern = os.Args[1]
		if len(os.Args) > 2 {
			line = os.Args[2]
		}
	}
	sign := "-"
	if multilog.Match(pattern, []byte(line)) {
		sign = "+"
	}
	os.Stdout.WriteString(sign + pattern + " (" + line + ")\n")
}
