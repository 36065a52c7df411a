package compat

import "errors"

// superviseMain is not written yet.
func superviseMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("supervise: not implemented yet"))
}
