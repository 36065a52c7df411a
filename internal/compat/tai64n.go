package compat

import "errors"

// tai64nMain is not written yet.
func tai64nMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("tai64n: not implemented yet"))
}
