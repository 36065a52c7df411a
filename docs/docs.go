// Package docs is the manual: one Markdown page per program, the single
// source of the README's links, `mlog help NAME` and the man pages that
// `mlog man` writes (see [Man]).
package docs

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.md
var pages embed.FS

// Page returns the Markdown page of a program.
func Page(name string) (string, bool) {
	b, err := pages.ReadFile(name + ".md")
	if err != nil {
		return "", false
	}
	return string(b), true
}

// Names returns the programs that have a page, sorted.
func Names() []string {
	ents, _ := fs.ReadDir(pages, ".")
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".md"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
