package compat

import "errors"

// svokMain is not written yet.
func svokMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("svok: not implemented yet"))
}
