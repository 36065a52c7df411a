package benchmarks

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPeerMultilog: mlog bench compares with daemontools' multilog even
// when ours comes first on PATH (make install puts it in /usr/local/bin).
// Before, the first multilog on PATH was taken for daemontools', so ours
// was compared with itself, or daemontools' left out.
func TestPeerMultilog(t *testing.T) {
	self, err := os.Executable() // a Go binary of this module, as our multilog is
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	ours := filepath.Join(bin, "multilog")
	if err := os.Symlink(self, ours); err != nil {
		t.Fatal(err)
	}
	// Another copy of ours, elsewhere on PATH (bin/ in a source tree).
	tree := t.TempDir()
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, "multilog"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	// A stand-in for daemontools' multilog, last on PATH.
	peer := t.TempDir()
	if err := os.WriteFile(filepath.Join(peer, "multilog"), []byte("#!/bin/sh\nexec cat >/dev/null\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	defer func(p []string) { daemontoolsPlaces = p }(daemontoolsPlaces)
	daemontoolsPlaces = nil
	path := bin + string(os.PathListSeparator) + tree + string(os.PathListSeparator) + peer
	if got, want := peerMultilog(ours, path), filepath.Join(peer, "multilog"); got != want {
		t.Errorf("peerMultilog = %q, want %q", got, want)
	}
	if got := peerMultilog(ours, bin+string(os.PathListSeparator)+tree); got != "" {
		t.Errorf("with only ours on PATH: %q, want none", got)
	}
	// Debian's place comes before PATH.
	if _, err := os.Stat("/usr/bin/multilog"); err == nil {
		daemontoolsPlaces = []string{"/usr/bin/multilog"}
		if got := peerMultilog(ours, path); got != "/usr/bin/multilog" {
			t.Errorf("with Debian's installed: %q, want /usr/bin/multilog", got)
		}
	}
}
