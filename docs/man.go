package docs

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// The pages are Markdown, read here into blocks that two writers render
// the way a manual reads: troff for man(1) ([Man]) and plain text for
// `mlog help NAME` ([Text]). Both put the sections in man-pages(7) order:
// NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, FILES, the page's
// other sections, SEE ALSO.

type kind int

const (
	para  kind = iota
	item       // a list item; mark is "-" or "1."
	code       // preformatted lines
	table      // rows, the header first
	sub        // a ### heading
)

type block struct {
	kind  kind
	depth int    // item: nesting
	mark  string // item: "-" or "1."
	text  string // para, item, sub: Markdown inline text on one line
	lines []string
	rows  [][]string
}

type section struct {
	title  string // as man prints it: NAME, SYNOPSIS, ...
	blocks []block
}

// Width is the width of a terminal that man pages must fit: every
// rendered line is at most this many columns.
const Width = 80

// fill is the column text is filled to, as man fills to 78 on an 80-column
// terminal.
const fill = Width - 2

// ManName is the name of a page as a man page: the subcommands of mlog
// are git-style, mlog-query(8) for `mlog query`.
func ManName(name string) string {
	switch name {
	case "query", "ship", "status", "wait", "qmail":
		return "mlog-" + name
	}
	return name
}

// PageName is the inverse of ManName: it takes either spelling.
func PageName(name string) string {
	if n, ok := strings.CutPrefix(name, "mlog-"); ok {
		return n
	}
	return name
}

// summary is each page's NAME line: what the program does, in a few words.
var summary = map[string]string{
	"mlog":          "daemontools' logging and supervision tools, with query and ship",
	"multilog":      "read a log from stdin, select lines, write rotated logdirs",
	"tai64n":        "put a precise TAI64N timestamp on each line",
	"tai64nlocal":   "convert TAI64N timestamps to local time",
	"supervise":     "start a service and restart it when it dies",
	"svscan":        "start and monitor a collection of services",
	"svscanboot":    "start svscan at boot, its errors shown by readproctitle",
	"svc":           "control a supervised service",
	"svstat":        "print the status of supervised services",
	"svok":          "check whether a supervise is running",
	"setuidgid":     "run a program under an account's uid and gid",
	"envuidgid":     "run a program with an account's uid and gid in the environment",
	"envdir":        "run a program with environment variables from files",
	"softlimit":     "run a program with resource limits",
	"readproctitle": "keep the latest errors in its process title",
	"setlock":       "run a program holding a lock on a file",
	"pgrphack":      "run a program in a process group of its own",
	"fghack":        "keep a daemon that forks in the foreground",
	"query":         "print a time range of multilog logdirs, fast",
	"ship":          "send multilog logdirs to a syslog collector, none lost",
	"status":        "print the state of supervised services, or JSON",
	"wait":          "wait until supervised services are up or down",
	"qmail":         "count and trace qmail's messages straight from its logdirs",
}

// filesFallback is FILES for a page that has no Files section of its own.
var filesFallback = map[string]string{
	"ship":  "The --cursor FILE, read at start and replaced whole as acknowledgements move it, and FILE.lock, locked while ship runs; the logdirs, read only, as mlog query reads them.",
	"qmail": "The logdirs, read only, as mlog query reads them; the --cursor FILE, read at start and replaced whole at the end of a run.",
	"query": "LOGDIR/current, LOGDIR/@*.s, LOGDIR/@*.u, LOGDIR/@*.s.zst, LOGDIR/@*.s.gz, LOGDIR/previous, LOGDIR/processed: read, never written.",
}

// titles maps the pages' section names to man's.
var titles = map[string]string{
	"Interface":  "DESCRIPTION",
	"Options":    "OPTIONS",
	"Actions":    "OPTIONS", // multilog's script: its arguments are actions
	"Exit codes": "EXIT STATUS",
	"Files":      "FILES",
}

var order = []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "FILES"}

// parse reads a page into sections: the text before the first ## heading
// comes back with the title "".
func parse(md string) []section {
	lines := strings.Split(strings.ReplaceAll(md, "\t", "    "), "\n")
	secs := []section{{}}
	add := func(b block) { secs[len(secs)-1].blocks = append(secs[len(secs)-1].blocks, b) }
	for i := 0; i < len(lines); {
		l := lines[i]
		t := strings.TrimLeft(l, " ") // a fence or a table may be indented in a list
		switch {
		case strings.TrimSpace(l) == "":
			i++
		case strings.HasPrefix(t, "```"):
			b := block{kind: code}
			pad := len(l) - len(t)
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimLeft(lines[i], " "), "```"); i++ {
				b.lines = append(b.lines, strings.TrimPrefix(lines[i], strings.Repeat(" ", pad)))
			}
			i++
			add(b)
		case strings.HasPrefix(l, "    "):
			b := block{kind: code}
			for ; i < len(lines); i++ {
				if strings.HasPrefix(lines[i], "    ") {
					b.lines = append(b.lines, lines[i][4:])
				} else if strings.TrimSpace(lines[i]) == "" && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "    ") {
					b.lines = append(b.lines, "")
				} else {
					break
				}
			}
			add(b)
		case strings.HasPrefix(l, "# "):
			i++
		case strings.HasPrefix(l, "## "):
			secs = append(secs, section{title: strings.TrimSpace(l[3:])})
			i++
		case strings.HasPrefix(l, "#"):
			add(block{kind: sub, text: strings.TrimSpace(strings.TrimLeft(l, "#"))})
			i++
		case strings.HasPrefix(t, "|"):
			b := block{kind: table}
			for ; i < len(lines) && strings.HasPrefix(strings.TrimLeft(lines[i], " "), "|"); i++ {
				if strings.Trim(lines[i], "|-: ") == "" {
					continue // the header's underline
				}
				cells := splitRow(lines[i])
				b.rows = append(b.rows, cells)
			}
			add(b)
		default:
			depth, mark, rest, isItem := itemStart(l)
			b := block{kind: para, text: strings.TrimSpace(l)}
			if isItem {
				b = block{kind: item, depth: depth, mark: mark, text: rest}
			}
			for i++; i < len(lines) && continues(lines[i]); i++ {
				b.text += " " + strings.TrimSpace(lines[i])
			}
			add(b)
		}
	}
	return secs
}

// splitRow splits a table row into its cells; a | inside a code span is
// text.
func splitRow(l string) []string {
	l = strings.TrimSpace(l)
	l = strings.TrimPrefix(strings.TrimSuffix(l, "|"), "|")
	var cells []string
	var cur strings.Builder
	inCode := false
	for _, r := range l {
		switch {
		case r == '`':
			inCode = !inCode
		case r == '|' && !inCode:
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

// itemStart reads a list item's first line.
func itemStart(l string) (depth int, mark, rest string, ok bool) {
	t := strings.TrimLeft(l, " ")
	depth = (len(l) - len(t)) / 2
	switch {
	case strings.HasPrefix(t, "- "), strings.HasPrefix(t, "* "):
		return depth, "-", t[2:], true
	}
	// "1. ", without a regexp: see spans on compiling at package init.
	d := 0
	for d < len(t) && t[d] >= '0' && t[d] <= '9' {
		d++
	}
	if d > 0 && strings.HasPrefix(t[d:], ". ") {
		return depth, t[:d+1], t[d+2:], true
	}
	return 0, "", "", false
}

// continues reports whether l carries on the paragraph or item above.
func continues(l string) bool {
	t := strings.TrimLeft(l, " ")
	if t == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(t, "|") || strings.HasPrefix(t, "```") {
		return false
	}
	_, _, _, isItem := itemStart(l)
	return !isItem
}

// arrange puts a page's sections in man's order.
func arrange(name, md string) []section {
	secs := parse(md)
	desc := section{title: "DESCRIPTION"}
	syn := section{title: "SYNOPSIS"}
	byTitle := map[string]*section{}
	var others []section
	for k, s := range secs {
		if k == 0 || s.title == "Interface" {
			for _, b := range s.blocks {
				if b.kind == code && syn.blocks == nil {
					syn.blocks = append(syn.blocks, b)
					continue
				}
				desc.blocks = append(desc.blocks, b)
			}
			continue
		}
		if t, ok := titles[s.title]; ok {
			if byTitle[t] == nil {
				byTitle[t] = &section{title: t}
			}
			byTitle[t].blocks = append(byTitle[t].blocks, s.blocks...)
			continue
		}
		others = append(others, section{title: strings.ToUpper(plain(s.title)), blocks: s.blocks})
	}
	if byTitle["OPTIONS"] == nil {
		byTitle["OPTIONS"] = &section{title: "OPTIONS", blocks: []block{{kind: para, text: "None."}}}
	}
	if byTitle["FILES"] == nil {
		text := filesFallback[name]
		if text == "" {
			text = "None."
		}
		byTitle["FILES"] = &section{title: "FILES", blocks: []block{{kind: para, text: text}}}
	}
	if byTitle["EXIT STATUS"] == nil {
		byTitle["EXIT STATUS"] = &section{title: "EXIT STATUS", blocks: []block{{kind: para, text: "See DESCRIPTION."}}}
	}
	out := []section{
		{title: "NAME", blocks: []block{{kind: para, text: ManName(name) + " - " + summary[name]}}},
		syn, desc,
	}
	for _, t := range order[3:] {
		out = append(out, *byTitle[t])
	}
	out = append(out, others...)
	if see := seeAlso(name, md); see != "" {
		out = append(out, section{title: "SEE ALSO", blocks: []block{{kind: para, text: see}}})
	}
	return out
}

// seeAlso lists the other pages this one names, as name(8).
func seeAlso(name, md string) string {
	var refs []string
	if name != "mlog" {
		refs = append(refs, "mlog(8)")
	}
	for _, n := range Names() {
		if n == name || n == "mlog" {
			continue
		}
		if strings.Contains(md, "`"+n+"`") || strings.Contains(md, "`"+n+" ") || strings.Contains(md, "("+n+".md") ||
			strings.Contains(md, "`mlog "+n) {
			refs = append(refs, ManName(n)+"(8)")
		}
	}
	return strings.Join(refs, ", ")
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

// inline turns Markdown spans into font marks \x01B ... \x01R.
func inline(s string) string {
	codeSpan, bold, link := spans().codeSpan, spans().bold, spans().link
	s = link.ReplaceAllString(s, "$1")
	s = codeSpan.ReplaceAllString(s, "\x01B$1\x01R")
	return bold.ReplaceAllString(s, "\x01B$1\x01R")
}

// plain is inline text without fonts.
func plain(s string) string {
	return strings.NewReplacer("\x01B", "", "\x01R", "").Replace(inline(s))
}

// Man renders a page as a man(7) page in section 8. date goes in the page
// footer. name is either spelling, query or mlog-query.
func Man(name, date string) (string, bool) {
	name = PageName(name)
	md, ok := Page(name)
	if !ok {
		return "", false
	}
	var b strings.Builder
	b.WriteString(".TH " + strings.ToUpper(ManName(name)) + " 8 \"" + date + "\" mlog \"mlog manual\"\n")
	for _, s := range arrange(name, md) {
		b.WriteString(".SH " + s.title + "\n")
		for k, bl := range s.blocks {
			switch bl.kind {
			case para:
				if k > 0 {
					b.WriteString(".PP\n")
				}
				if s.title == "NAME" {
					// man's whatis reads "name \- text".
					n, d, _ := strings.Cut(bl.text, " - ")
					b.WriteString(escapeText(n) + ` \- ` + escapeText(d) + "\n")
					continue
				}
				b.WriteString(escapeText(inline(bl.text)) + "\n")
			case item:
				mark := `\(bu`
				if bl.mark != "-" {
					mark = bl.mark
				}
				if bl.depth > 0 {
					b.WriteString(".RS " + fmt.Sprint(2*bl.depth) + "\n")
				}
				b.WriteString(".IP " + mark + " " + fmt.Sprint(len(bl.mark)+1) + "\n" + escapeText(inline(bl.text)) + "\n")
				if bl.depth > 0 {
					b.WriteString(".RE\n")
				}
			case sub:
				b.WriteString(".SS " + escapeText(plain(bl.text)) + "\n")
			case code:
				indent := 4
				if s.title == "SYNOPSIS" {
					indent = 0
				}
				b.WriteString(".PP\n.RS " + fmt.Sprint(indent) + "\n.nf\n")
				for _, l := range foldAll(bl.lines, fill-7-indent) {
					b.WriteString(escapeLine(l) + "\n")
				}
				b.WriteString(".fi\n.RE\n")
			case table:
				head := bl.rows[0]
				for _, row := range bl.rows[1:] {
					b.WriteString(".TP\n" + escapeText(inline(row[0])) + "\n")
					for c := 1; c < len(row); c++ {
						if c > 1 {
							if skipCell(row[c]) {
								continue
							}
							b.WriteString(".br\n" + escapeText(plain(cellHead(head, c))) + ": ")
						}
						b.WriteString(escapeText(inline(row[c])) + "\n")
					}
				}
			}
		}
	}
	return b.String(), true
}

// skipCell reports whether a table cell says nothing.
func skipCell(c string) bool { return c == "" || c == "–" || c == "-" }

func cellHead(head []string, c int) string {
	if c < len(head) {
		return head[c]
	}
	return ""
}

// Text renders a page as man shows it on an 80-column terminal, for
// `mlog help NAME`: no line is wider than [Width].
func Text(name string) (string, bool) {
	name = PageName(name)
	md, ok := Page(name)
	if !ok {
		return "", false
	}
	var b strings.Builder
	for si, s := range arrange(name, md) {
		if si > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s.title + "\n")
		for k, bl := range s.blocks {
			if k > 0 && bl.kind != item {
				b.WriteString("\n")
			}
			switch bl.kind {
			case para:
				wrap(&b, plain(bl.text), 7, 7)
			case item:
				if k > 0 && s.blocks[k-1].kind != item {
					b.WriteString("\n")
				}
				at := 7 + 2*bl.depth
				wrap(&b, bl.mark+" "+plain(bl.text), at, at+len(bl.mark)+1)
			case sub:
				b.WriteString("   " + plain(bl.text) + "\n")
			case code:
				indent := 11
				if s.title == "SYNOPSIS" {
					indent = 7
				}
				for _, l := range foldAll(bl.lines, fill-indent) {
					if l == "" {
						b.WriteString("\n")
						continue
					}
					b.WriteString(strings.Repeat(" ", indent) + l + "\n")
				}
			case table:
				head := bl.rows[0]
				for r, row := range bl.rows[1:] {
					if r > 0 {
						b.WriteString("\n")
					}
					tag := plain(row[0])
					body := ""
					if len(row) > 1 {
						body = plain(row[1])
					}
					if n := utf8.RuneCountInString(tag); n < 7 {
						b.WriteString(strings.Repeat(" ", 7) + tag + strings.Repeat(" ", 7-n))
						wrapFrom(&b, body, 14, 14)
					} else {
						wrap(&b, tag, 7, 9)
						wrap(&b, body, 14, 14)
					}
					for c := 2; c < len(row); c++ {
						if !skipCell(row[c]) {
							wrap(&b, plain(cellHead(head, c))+": "+plain(row[c]), 14, 16)
						}
					}
				}
			}
		}
	}
	return b.String(), true
}

// wrap fills text into lines of at most fill columns, the first starting
// at column first and the others at rest.
func wrap(b *strings.Builder, text string, first, rest int) {
	b.WriteString(strings.Repeat(" ", first))
	wrapFrom(b, text, first, rest)
}

// wrapFrom is wrap on a line already written up to column col.
func wrapFrom(b *strings.Builder, text string, col, rest int) {
	start := true // no word on this line yet
	for _, field := range strings.Fields(text) {
		for k, w := range pieces(field, fill-rest) {
			n := utf8.RuneCountInString(w)
			switch {
			case start:
				b.WriteString(w)
				col += n
			case col+n+1 <= fill && k == 0:
				b.WriteString(" " + w)
				col += n + 1
			case col+n <= fill && k > 0:
				b.WriteString(w) // the rest of a long word
				col += n
			default:
				b.WriteString("\n" + strings.Repeat(" ", rest) + w)
				col = rest + n
			}
			start = false
		}
	}
	b.WriteString("\n")
}

// pieces cuts a word wider than width after its commas, colons, slashes
// and semicolons (or, lacking them, anywhere), so that a long path or JSON
// object still fits; a word that fits is one piece.
func pieces(w string, width int) []string {
	if utf8.RuneCountInString(w) <= width {
		return []string{w}
	}
	var out []string
	r := []rune(w)
	for len(r) > width {
		cut := 0
		for k := width - 1; k > 0; k-- {
			if strings.ContainsRune(",:/;", r[k]) {
				cut = k + 1
				break
			}
		}
		if cut == 0 {
			cut = width
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
	}
	return append(out, string(r))
}

// breakable marks where troff may break a word too long for a line, as
// pieces does for text.
func breakable(s string) string {
	fields := strings.Split(s, " ")
	for i, f := range fields {
		if utf8.RuneCountInString(f) > 40 {
			fields[i] = strings.NewReplacer(",", ",\x03", ":", ":\x03", "/", "/\x03", ";", ";\x03").Replace(f)
		}
	}
	return strings.Join(fields, " ")
}

// foldAll folds preformatted lines longer than width, at a space where
// there is one, the rest indented by two more columns, so that a long
// command or message still fits the terminal.
func foldAll(lines []string, width int) []string {
	var out []string
	for _, l := range lines {
		for utf8.RuneCountInString(l) > width {
			r := []rune(l)
			cut := width
			for k := width; k > width/2; k-- {
				if r[k] == ' ' {
					cut = k
					break
				}
			}
			lead := len(r) - len([]rune(strings.TrimLeft(l, " ")))
			out = append(out, strings.TrimRight(string(r[:cut]), " "))
			l = strings.Repeat(" ", lead+2) + strings.TrimLeft(string(r[cut:]), " ")
		}
		out = append(out, l)
	}
	return out
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

// escapeText protects backslashes, hyphens and a leading dot or quote,
// then turns inline's font marks into troff's.
func escapeText(s string) string {
	s = strings.ReplaceAll(breakable(s), `\`, `\e`)
	s = strings.ReplaceAll(s, "\x03", `\:`)
	s = strings.ReplaceAll(s, "-", `\-`)
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
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = unicode(strings.ReplaceAll(s, "-", `\-`))
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
