package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mlog/mlog/docs"
	"github.com/mlog/mlog/internal/compat"
)

// TestDispatch: every daemontools name is found by its base name, however
// it is called; other names fall through to the cobra tree.
func TestDispatch(t *testing.T) {
	tests := []struct {
		argv0 string
		name  string
		ok    bool
	}{
		{"multilog", "multilog", true},
		{"/usr/local/bin/svc", "svc", true},
		{"./bin/tai64nlocal", "tai64nlocal", true},
		{"setuidgid", "setuidgid", true},
		{"mlog", "mlog", false},
		{"/usr/bin/mlog-tools", "mlog-tools", false},
	}
	for _, tc := range tests {
		name, m, ok := compat.Lookup(tc.argv0)
		assert.Equal(t, tc.ok, ok, "Lookup(%q)", tc.argv0)
		assert.Equal(t, tc.name, name, "Lookup(%q)", tc.argv0)
		assert.Equal(t, tc.ok, m != nil, "Lookup(%q) program", tc.argv0)
	}
}

// TestCompatCommands: every daemontools program is an mlog subcommand whose
// help is its manual page, and cobra leaves its arguments alone.
func TestCompatCommands(t *testing.T) {
	root := newRoot()
	for _, name := range compat.Names() {
		cmd, _, err := root.Find([]string{name})
		require.NoError(t, err, name)
		assert.Equal(t, name, cmd.Name())
		page, ok := docs.Page(name)
		require.True(t, ok, "no manual page for %s", name)
		if name == "tai64nlocal" {
			continue // mlog tai64nlocal has flags of its own (--utc, --format)
		}
		assert.True(t, cmd.DisableFlagParsing, "%s: cobra must not parse daemontools arguments", name)
		assert.Equal(t, page, cmd.Long, "%s: help is not the manual page", name)
	}
}
