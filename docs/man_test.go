package docs

import (
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

// required are the sections every man page has, in this order.
var required = []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "FILES", "SEE ALSO"}

// TestPages: every daemontools program and every mlog subcommand has a
// page, and every page renders to a man page with a short NAME line
// (`multilog \- ...`, not a sentence), the sections of man-pages(7) in
// order, and no stray Markdown.
func TestPages(t *testing.T) {
	for _, name := range []string{"multilog", "tai64n", "tai64nlocal", "supervise", "svscan", "svscanboot",
		"svc", "svstat", "svok", "setuidgid", "envuidgid", "envdir", "softlimit", "readproctitle", "setlock", "pgrphack", "fghack",
		"mlog", "query", "ship", "status", "wait"} {
		if _, ok := Page(name); !ok {
			t.Errorf("no page for %s", name)
		}
	}
	for _, name := range Names() {
		man, ok := Man(name, "2026-11-24")
		if !ok {
			t.Fatalf("Man(%q) failed", name)
		}
		mn := ManName(name)
		if !strings.HasPrefix(man, ".TH "+strings.ToUpper(mn)+" 8 ") {
			t.Errorf("Man(%q) lacks the title:\n%.300s", name, man)
		}
		_, nameLine, _ := strings.Cut(man, ".SH NAME\n")
		nameLine, _, _ = strings.Cut(nameLine, "\n")
		if d, ok := strings.CutPrefix(nameLine, strings.ReplaceAll(mn, "-", `\-`)+` \- `); !ok || len(d) > 70 || strings.HasSuffix(d, ".") || d == "" {
			t.Errorf("Man(%q): NAME line %q, want %q and a few words", name, nameLine, mn+` \- ...`)
		}
		at := 0
		for _, sec := range required {
			i := strings.Index(man[at:], ".SH "+sec+"\n")
			if i < 0 {
				t.Errorf("Man(%q) lacks %s (or has it out of order)", name, sec)
				continue
			}
			at += i
		}
		if strings.Contains(man, "```") || strings.Contains(man, "**") || strings.Contains(man, "](") {
			t.Errorf("Man(%q) has Markdown left in it", name)
		}
	}
	if m, ok := Man("mlog-query", "2026-11-24"); !ok || !strings.HasPrefix(m, ".TH MLOG-QUERY 8 ") {
		t.Error(`Man("mlog-query") is not mlog-query(8)`)
	}
}

// TestTextWidth: mlog help NAME prints text as man shows it, within 80
// columns, with the same sections, and no Markdown.
func TestTextWidth(t *testing.T) {
	for _, name := range Names() {
		text, ok := Text(name)
		if !ok {
			t.Fatalf("Text(%q) failed", name)
		}
		checkWidth(t, "Text("+name+")", text)
		at := 0
		for _, sec := range required {
			i := strings.Index(text[at:], "\n"+sec+"\n")
			if sec == "NAME" {
				i = strings.Index(text, "NAME\n       "+ManName(name)+" - ")
			}
			if i < 0 {
				t.Errorf("Text(%q) lacks %s (or has it out of order)", name, sec)
				continue
			}
			at += i
		}
		if strings.Contains(text, "```") || strings.Contains(text, "**") || strings.Contains(text, "](") || strings.Contains(text, "\n## ") || strings.Contains(text, "|---") {
			t.Errorf("Text(%q) has Markdown left in it", name)
		}
	}
}

func checkWidth(t *testing.T, what, out string) {
	t.Helper()
	wide := 0
	for _, l := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(l) > Width {
			if wide++; wide <= 3 {
				t.Errorf("%s: a line of %d columns: %q", what, utf8.RuneCountInString(l), l)
			}
		}
	}
	if wide > 3 {
		t.Errorf("%s: %d lines wider than %d columns", what, wide, Width)
	}
}

// TestManRenders runs the pages through man's formatter, as man does on
// an 80-column terminal: no warning, no line wider than 80 columns.
func TestManRenders(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff not installed")
	}
	for _, name := range Names() {
		man, _ := Man(name, "2026-11-24")
		// man sets the line length to the terminal's width less 2.
		cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-rLL=78n", "-P-cbou")
		cmd.Stdin = strings.NewReader(man)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		for _, w := range strings.Split(stderr.String(), "\n") {
			if w != "" {
				t.Errorf("groff on %s: %s", name, w)
			}
		}
		if err != nil {
			t.Errorf("groff on %s: %v", name, err)
		}
		checkWidth(t, "man "+ManName(name), stdout.String())
	}
}
