package ship

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAppName: a logdir's APP-NAME is its base name, except in the
// daemontools layout X/log/main (with X/log/run), where it is the
// service's name X; --app wins over both.
func TestAppName(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, run bool) string {
		p := filepath.Join(root, dir)
		must(t, os.MkdirAll(p, 0o755))
		if run {
			must(t, os.WriteFile(filepath.Join(filepath.Dir(p), "run"), []byte("#!/bin/sh\n"), 0o755))
		}
		return p
	}
	for _, c := range []struct {
		dir  string
		want string
	}{
		{mk("service/qmail-smtpd/log/main", true), "qmail-smtpd"},
		{mk("etc/service/qmail-send/log/main", true) + "/", "qmail-send"},
		{mk("var/log/smtpd", false), "smtpd"},
		{mk("var/log/main", false), "main"}, // no log/run: not a service's
		{mk("srv/x/main", false), "main"},
	} {
		if got := appName(c.dir); got != c.want {
			t.Errorf("appName(%q) = %q, want %q", c.dir, got, c.want)
		}
	}
	// Relative to the working directory, as a log/run script names it.
	t.Chdir(filepath.Join(root, "service/qmail-smtpd/log"))
	if got := appName("./main"); got != "qmail-smtpd" {
		t.Errorf("appName(./main) = %q, want qmail-smtpd", got)
	}
	sh := &shipper{cfg: Config{Priority: DefaultPriority, MaxSize: DefaultMaxSize}}
	if got := string(newSource(sh, 0, "main", nil).f.middle); got != " - qmail-smtpd - - - " {
		t.Errorf("header %q, want APP-NAME qmail-smtpd", got)
	}
	sh.cfg.App = "smtp"
	if got := string(newSource(sh, 0, "main", nil).f.middle); got != " - smtp - - - " {
		t.Errorf("with App: header %q, want APP-NAME smtp", got)
	}
}
