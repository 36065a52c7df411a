package compat

import "errors"

// softlimitMain is not written yet.
func softlimitMain(t *Tool, args []string) int {
	return t.Fatal(errors.New("softlimit: not implemented yet"))
}
