package compat

import "errors"

// tai64nlocalMain is not written yet.
func tai64nlocalMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("tai64nlocal: not implemented yet"))
}
