package durable

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPlantedLinks: links planted at cursor.new and cursor.lock by
// whoever can write the cursor's directory make neither WriteFile nor
// Lock write, create or truncate the file they point to. WriteFile goes
// on and replaces the cursor; Lock refuses.
func TestPlantedLinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cursor := filepath.Join(dir, "cursor")
	if err := os.Symlink(victim, cursor+".new"); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(cursor, []byte("position\n")); err != nil {
		t.Fatalf("WriteFile with a link at cursor.new: %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the link's target now holds %q", b)
	}
	if b, _ := os.ReadFile(cursor); string(b) != "position\n" {
		t.Errorf("cursor holds %q", b)
	}
	if _, err := os.Lstat(cursor + ".new"); !os.IsNotExist(err) {
		t.Errorf("cursor.new left behind: %v", err)
	}

	absent := filepath.Join(dir, "absent")
	if err := os.Symlink(absent, cursor+".lock"); err != nil {
		t.Fatal(err)
	}
	if unlock, err := Lock(cursor); err == nil {
		unlock()
		t.Errorf("Lock through a link at cursor.lock succeeded")
	}
	if _, err := os.Lstat(absent); !os.IsNotExist(err) {
		t.Errorf("Lock created the link's target: %v", err)
	}
}
