package compat

import "errors"

// envuidgidMain is not written yet.
func envuidgidMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("envuidgid: not implemented yet"))
}
