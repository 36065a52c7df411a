package compat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envdir's file rules, compared with Debian's envdir through env's output.
func TestEnvdirMatchesReal(t *testing.T) {
	tools := svTools(t)
	real := svReal(t, "envdir")
	base := t.TempDir()
	dir := base + "/env"
	os.Mkdir(dir, 0755)
	files := map[string]string{
		"FOO":     "bar  \t\nsecond line\n",
		"EMPTY":   "",
		"NL":      "\n",
		"NUL":     "a\x00b\x00",
		".hidden": "x",
		"TRAIL":   "x \t \t",
		"CR":      "y\r\n",
		"LEAD":    "  lead",
		"PATH":    "/nonexistent", // changes the child's PATH, not where envdir looks for the child
		"A":       "over",
	}
	for name, content := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0644)
	}
	env := append(svEnv(tools), "EMPTY=set", "A=1", "KEEP=yes")
	want := svExec(t, env, base, real, "env", "env")
	got := svExec(t, env, base, filepath.Join(tools, "envdir"), "env", "env")
	if got != want { // the same variables in the same order
		t.Errorf("envdir env env:\n got %+v\nwant %+v", got, want)
	}
	for _, line := range []string{"FOO=bar", "NL=", "NUL=a\nb\n", "TRAIL=x", "CR=y\r", "LEAD=  lead", "A=over", "KEEP=yes"} {
		if !strings.Contains(got.stdout, line) {
			t.Errorf("envdir output lacks %q", line)
		}
	}
	if strings.Contains(got.stdout, "EMPTY") || strings.Contains(got.stdout, "hidden") {
		t.Errorf("envdir output has EMPTY or .hidden: %q", got.stdout)
	}

	os.Mkdir(base+"/sub", 0755)
	os.Mkdir(base+"/sub/DIR", 0755)
	for _, args := range [][]string{{}, {"env"}, {"missing", "true"}, {"env", "no-such-program-mlog"}, {"sub", "true"}, {"-x"}} {
		svCompare(t, tools, base, "envdir", args...)
	}
}
