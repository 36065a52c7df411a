package docs

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPages: every daemontools program has a page, and every page renders
// to a man page with its NAME section and no stray Markdown.
func TestPages(t *testing.T) {
	for _, name := range []string{"multilog", "tai64n", "tai64nlocal", "supervise", "svscan", "svscanboot",
		"svc", "svstat", "svok", "setuidgid", "envuidgid", "envdir", "softlimit", "readproctitle", "setlock", "pgrphack", "fghack", "query"} {
		if _, ok := Page(name); !ok {
			t.Errorf("no page for %s", name)
		}
	}
	for _, name := range Names() {
		man, ok := Man(name, "2026-11-24")
		if !ok {
			t.Fatalf("Man(%q) failed", name)
		}
		if !strings.HasPrefix(man, ".TH "+strings.ToUpper(name)+" 8 ") || !strings.Contains(man, ".SH NAME\n"+name+` \- `) {
			t.Errorf("Man(%q) lacks the title or NAME section:\n%.300s", name, man)
		}
		if strings.Contains(man, "```") || strings.Contains(man, "**") {
			t.Errorf("Man(%q) has Markdown left in it", name)
		}
	}
}

// TestManRenders runs the pages through man's formatter when it is there.
func TestManRenders(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff not installed")
	}
	for _, name := range Names() {
		man, _ := Man(name, "2026-11-24")
		cmd := exec.Command(groff, "-man", "-Tutf8", "-ww")
		cmd.Stdin = strings.NewReader(man)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		for _, w := range strings.Split(stderr.String(), "\n") {
			if w != "" && !strings.Contains(w, "cannot adjust line") && !strings.Contains(w, "cannot break line") {
				t.Errorf("groff on %s: %s", name, w)
			}
		}
		if err != nil {
			t.Errorf("groff on %s: %v", name, err)
		}
	}
}
