package compat

import "errors"

// multilogMain is not written yet.
func multilogMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("multilog: not implemented yet"))
}
