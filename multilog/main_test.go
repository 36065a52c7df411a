package multilog_test

import (
	"os"
	"testing"

	"github.com/mlog/mlog/internal/compat"
)

// TestMain lets the test binary act as our multilog (and the other
// daemontools programs) when MLOG_TEST_PROG names one, so transcript tests
// run the real program path without a build step.
func TestMain(m *testing.M) {
	if name := os.Getenv("MLOG_TEST_PROG"); name != "" {
		_, prog, ok := compat.Lookup(name)
		if !ok {
			os.Stderr.WriteString("no such program: " + name + "\n")
			os.Exit(2)
		}
		os.Exit(compat.Run(name, prog, os.Args[1:]))
	}
	os.Exit(m.Run())
}
