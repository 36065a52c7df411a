package query

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlog/mlog/tai64"
)

// TestOpenLogdirFiles checks which files of a logdir are read, in the
// states multilog passes through while it rotates and runs a processor.
func TestOpenLogdirFiles(t *testing.T) {
	type file struct {
		name string
		mode os.FileMode
		link string // a hard link to this earlier file instead of new content
	}
	cases := []struct {
		name  string
		files []file
		want  string
	}{
		{"plain", []file{{name: "@400000006955b90a000001f4.s"}, {name: "current"}}, "@400000006955b90a000001f4.s current"},
		{"not log data", []file{{name: "lock"}, {name: "state"}, {name: "newstate"}, {name: ".tmp"}, {name: "@4000.s"}, {name: "current"}}, "current"},
		{"plain and compressed: the plain one", []file{{name: "@400000006955b90a000001f4.s"}, {name: "@400000006955b90a000001f4.s.zst"}, {name: "current"}},
			"@400000006955b90a000001f4.s current"},
		{"u and s of one stamp", []file{{name: "@400000006955b90a000001f4.s"}, {name: "@400000006955b90a000001f4.u"}, {name: "current"}},
			"@400000006955b90a000001f4.s @400000006955b90a000001f4.u current"},
		{"processor running", []file{{name: "previous", mode: 0o744}, {name: "processed", mode: 0o644}, {name: "current"}}, "previous current"},
		{"processor done, previous unlinked", []file{{name: "processed", mode: 0o744}, {name: "current"}}, "processed current"},
		{"processor writing, no previous", []file{{name: "processed", mode: 0o644}, {name: "current"}}, "current"},
		{"finish between link and unlink", []file{{name: "previous", mode: 0o744}, {name: "@400000006955b90a000001f4.s", link: "previous"}, {name: "current"}},
			"@400000006955b90a000001f4.s current"},
		{"processed between link and unlink", []file{{name: "processed", mode: 0o744}, {name: "@400000006955b90a000001f4.s", link: "processed"}, {name: "current"}},
			"@400000006955b90a000001f4.s current"},
		{"between rename and new current", []file{{name: "@400000006955b90a000001f4.s"}, {name: "previous", mode: 0o744}}, "@400000006955b90a000001f4.s previous"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				p := filepath.Join(dir, f.name)
				if f.link != "" {
					if err := os.Link(filepath.Join(dir, f.link), p); err != nil {
						t.Fatal(err)
					}
					continue
				}
				mode := f.mode
				if mode == 0 {
					mode = 0o644
				}
				if err := os.WriteFile(p, []byte(f.name+"\n"), mode); err != nil {
					t.Fatal(err)
				}
				os.Chmod(p, mode)
			}
			files, err := openLogdir(dir, tai64.Time{}, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, lf := range files {
				names = append(names, lf.name)
				lf.close()
			}
			if got := strings.Join(names, " "); got != tc.want {
				t.Errorf("files read = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOpenLogdirErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := openLogdir(filepath.Join(dir, "nope"), tai64.Time{}, false, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing logdir: error %v", err)
	}
	if _, err := openLogdir(dir, tai64.Time{}, false, nil); err == nil || !strings.Contains(err.Error(), "not a logdir") {
		t.Errorf("empty directory: error %v", err)
	}
}
