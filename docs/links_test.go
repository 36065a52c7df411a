package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLinksStayInRepository: every relative link in the repository's
// Markdown leads to a file in the repository, and no text file names a
// place outside it that only the authors' machines have (a sibling
// checkout, a scratch directory).
func TestLinksStayInRepository(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	outside := regexp.MustCompile(`\.\./shared|peers\.md|/work/(main|wt)|shared/seed`)
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "bin" || d.Name() == "demo" {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if ext != ".md" && ext != ".go" && ext != ".sh" && d.Name() != "Makefile" && ext != ".service" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := string(b)
		if rel == filepath.Join("docs", "links_test.go") {
			return nil // names the patterns it looks for
		}
		if m := outside.FindString(text); m != "" {
			t.Errorf("%s names %q, outside the repository", rel, m)
		}
		if ext != ".md" {
			return nil
		}
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			abs := filepath.Join(filepath.Dir(path), target)
			if r, err := filepath.Rel(root, abs); err != nil || strings.HasPrefix(r, "..") {
				t.Errorf("%s links %s, outside the repository", rel, m[1])
				continue
			}
			if _, err := os.Stat(abs); err != nil {
				t.Errorf("%s links %s, which does not exist", rel, m[1])
			}
		}
		return nil
	})
}

// TestReadmeLinksDocumentTheirCommand: the README's table links each mlog
// command to a page that documents it (status --json once linked a page
// that never mentions it).
func TestReadmeLinksDocumentTheirCommand(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `mlog (\\w+)( --\\w+)?`[^\\n]*\\]\\(docs/(\\w+)\\.md\\)")
	n := 0
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		n++
		page, ok := Page(m[3])
		if !ok {
			t.Errorf("README links mlog %s to docs/%s.md, which is not a page", m[1], m[3])
			continue
		}
		if !strings.Contains(page, "mlog "+m[1]) || m[2] != "" && !strings.Contains(page, strings.TrimSpace(m[2])) {
			t.Errorf("README links mlog %s%s to docs/%s.md, which does not document it", m[1], m[2], m[3])
		}
	}
	if n < 3 {
		t.Errorf("found %d rows for mlog commands in README's table", n)
	}
}
