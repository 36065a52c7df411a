package compat

import "errors"

// svscanMain is not written yet.
func svscanMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("svscan: not implemented yet"))
}
