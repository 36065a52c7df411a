package compat

import "errors"

// svscanbootMain is not written yet.
func svscanbootMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("svscanboot: not implemented yet"))
}
