package compat

import "github.com/mlog/mlog/supervise"

// svscanbootMain is svscanboot: svscanboot [dir]. daemontools' takes no
// argument and scans /service; dir (Debian: /etc/service) is our addition.
// It runs the svscan and readproctitle installed beside it, if any (see
// sibling), and svscan then runs the supervise beside itself.
func svscanbootMain(t *Tool, args []string) int {
	cfg := supervise.BootConfig{Svscan: sibling("svscan"), Readproctitle: sibling("readproctitle")}
	if len(args) > 0 {
		cfg.Dir = args[0]
	}
	code, err := supervise.Boot(cfg)
	if err != nil {
		return t.Fatal(err)
	}
	return code
}
