package compat

import "errors"

// svcMain is not written yet.
func svcMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("svc: not implemented yet"))
}
