package compat

import "errors"

// setuidgidMain is not written yet.
func setuidgidMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("setuidgid: not implemented yet"))
}
