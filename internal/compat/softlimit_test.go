package compat

import (
	"strings"
	"testing"
)

func TestSoftlimitMatchesReal(t *testing.T) {
	tools := svTools(t)
	svReal(t, "softlimit")
	dir := t.TempDir()
	ulimits := []string{"sh", "-c", "ulimit -a"}
	for _, opts := range [][]string{
		{},
		{"-o", "50"},
		{"-o", "="},
		{"-o50", "-c0", "-f", "1000000", "-p", "500", "-d", "200000000", "-s", "1000000", "-l", "65536", "-a", "2000000000", "-r", "1000000", "-t", "100"},
		{"-m", "300000000"},
		{"-t", "99999999999999999999"},
		{"-p", "="},
		{"--", "-o", "1"},
	} {
		r := svCompare(t, tools, dir, "softlimit", append(opts, ulimits...)...)
		if r.code != 0 && !strings.HasPrefix(strings.Join(opts, " "), "--") {
			t.Errorf("softlimit %q: %+v", opts, r)
		}
	}
	for _, args := range [][]string{{}, {"-z", "true"}, {"-m"}, {"-m", "abc", "true"}, {"-m", "100"}, {"-o", "-1", "true"}, {"true", "-o", "5"}, {"no-such-program-mlog"}} {
		svCompare(t, tools, dir, "softlimit", args...)
	}
}
