package compat

import "errors"

// svstatMain is not written yet.
func svstatMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("svstat: not implemented yet"))
}
