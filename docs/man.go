package docs

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Man renders a page as a man(7) page in section 8, from the subset of
// Markdown the pages use: headings, paragraphs, lists, tables and code.
// date goes in the page footer.
func Man(name, date string) (string, bool) {
	md, ok := Page(name)
	if !ok {
		return "", false
	}
	var b strings.Builder
	b.WriteString(".TH " + strings.ToUpper(name) + " 8 \"" + date + "\" mlog \"mlog manual\"\n")
	lines := strings.Split(md, "\n")
	inCode, inTable, named := false, false, false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "```"):
			if inCode {
				b.WriteString(".fi\n.RE\n")
			} else {
				b.WriteString(".RS 4\n.nf\n")
			}
			inCode = !inCode
		case inCode:
			b.WriteString(escapeLine(l) + "\n")
		case strings.HasPrefix(l, "    ") && strings.TrimSpace(l) != "":
			b.WriteString(".RS 4\n.nf\n")
			for ; i < len(lines) && (strings.HasPrefix(lines[i], "    ") || strings.TrimSpace(lines[i]) == "" && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "    ")); i++ {
				b.WriteString(escapeLine(strings.TrimPrefix(lines[i], "    ")) + "\n")
			}
			i--
			b.WriteString(".fi\n.RE\n")
		case strings.HasPrefix(l, "# "):
			// The title: NAME section with the first sentence after it.
		case strings.HasPrefix(l, "#"):
			b.WriteString(".SH " + strings.ToUpper(inline(strings.TrimLeft(l, "# "), false)) + "\n")
		case strings.HasPrefix(l, "|"):
			if !inTable {
				b.WriteString(".RS 4\n.nf\n")
				inTable = true
			}
			if strings.Trim(l, "|-: ") == "" {
				continue // the header separator
			}
			cells := strings.Split(strings.Trim(l, "|"), "|")
			for k := range cells {
				cells[k] = inline(strings.TrimSpace(cells[k]), false)
			}
			b.WriteString(strings.ReplaceAll(escapeLine(strings.Join(cells, "\x02")), "\x02", "  \\(bv  ") + "\n")
			if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "|") {
				b.WriteString(".fi\n.RE\n")
				inTable = false
			}
		case strings.TrimSpace(l) == "":
			b.WriteString(".PP\n")
		case strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "* "):
			b.WriteString(".IP \\(bu 2\n" + escapeText(inline(l[2:], true)) + "\n")
		default:
			text := escapeText(inline(strings.TrimSpace(l), true))
			if !named {
				// The first paragraph names the program.
				b.WriteString(".SH NAME\n" + name + " \\- " + text + "\n")
				named = true
				for i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" && !strings.HasPrefix(lines[i+1], "#") {
					i++
					b.WriteString(escapeText(inline(strings.TrimSpace(lines[i]), true)) + "\n")
				}
				continue
			}
			b.WriteString(text + "\n")
		}
	}
	return b.String(), true
}

// spans are the Markdown spans inline rewrites. They are compiled on first
// use, not at package init: every run of mlog links this package (mlog help
// NAME), and compiling them cost each run, mlog query included, 0.3 ms.
var spans = sync.OnceValue(func() (r struct{ codeSpan, bold, link *regexp.Regexp }) {
	r.codeSpan = regexp.MustCompile("`([^`]*)`")
	r.bold = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	r.link = regexp.MustCompile(`\[([^\]]+)\]\(([^)]+)\)`)
	return r
})

// inline turns Markdown spans into troff fonts (or plain text in tables).
func inline(s string, fonts bool) string {
	codeSpan, bold, link := spans().codeSpan, spans().bold, spans().link
	s = link.ReplaceAllString(s, "$1")
	if !fonts {
		s = codeSpan.ReplaceAllString(s, "$1")
		return bold.ReplaceAllString(s, "$1")
	}
	s = codeSpan.ReplaceAllString(s, "\x01B$1\x01R")
	return bold.ReplaceAllString(s, "\x01B$1\x01R")
}

// unicode writes runes beyond ASCII as troff's \[uXXXX] escapes, which
// groff reads without a preprocessor.
func unicode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, `\[u%04X]`, r)
	}
	return b.String()
}

// escapeText protects backslashes and a leading dot or quote, then turns
// inline's font marks into troff's.
func escapeText(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "\x01B", `\fB`)
	s = strings.ReplaceAll(s, "\x01R", `\fR`)
	s = unicode(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// escapeLine is escapeText for preformatted lines.
func escapeLine(s string) string {
	s = unicode(strings.ReplaceAll(s, `\`, `\e`))
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
