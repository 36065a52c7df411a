package compat

import "errors"

// readproctitleMain is not written yet.
func readproctitleMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("readproctitle: not implemented yet"))
}
