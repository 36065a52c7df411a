package compat

import "errors"

// envdirMain is not written yet.
func envdirMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("envdir: not implemented yet"))
}
