package compat

import "github.com/mlog/mlog/supervise"

// svscanbootMain is svscanboot: svscanboot [dir]. daemontools' takes no
// argument and scans /service; dir (Debian: /etc/service) is our addition.
func svscanbootMain(t *Tool, args []string) int {
	var cfg supervise.BootConfig
	if len(args) > 0 {
		cfg.Dir = args[0]
	}
	code, err := supervise.Boot(cfg)
	if err != nil {
		return t.Fatal(err)
	}
	return code
}
