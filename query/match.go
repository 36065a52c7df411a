package query

import (
	"bytes"
	"regexp"
	"strings"
)

// MatchFixed returns a Match that selects lines containing any of the
// strings. With fold, case is ignored (Unicode simple folding, as RE2's
// (?i) does).
func MatchFixed(patterns []string, fold bool) func([]byte) bool {
	if fold {
		if ms := foldMatchers(patterns); ms != nil {
			if len(ms) == 1 {
				return ms[0].match
			}
			return func(text []byte) bool {
				for _, m := range ms {
					if m.match(text) {
						return true
					}
				}
				return false
			}
		}
		// A pattern with letters outside ASCII: RE2 knows Unicode's
		// folding.
		quoted := make([]string, len(patterns))
		for i, p := range patterns {
			quoted[i] = regexp.QuoteMeta(p)
		}
		m, err := MatchRegexp(quoted, true)
		if err != nil {
			panic("query: quoted pattern does not compile: " + err.Error())
		}
		return m
	}
	bs := make([][]byte, len(patterns))
	for i, p := range patterns {
		bs[i] = []byte(p)
	}
	if len(bs) == 1 {
		p := bs[0]
		return func(text []byte) bool { return bytes.Contains(text, p) }
	}
	return func(text []byte) bool {
		for _, p := range bs {
			if bytes.Contains(text, p) {
				return true
			}
		}
		return false
	}
}

// foldMatchers returns a foldMatcher per pattern, or nil if a pattern is
// empty or not ASCII.
func foldMatchers(patterns []string) []*foldMatcher {
	ms := make([]*foldMatcher, len(patterns))
	for i, p := range patterns {
		if ms[i] = newFoldMatcher(p); ms[i] == nil {
			return nil
		}
	}
	return ms
}

// MatchRegexp returns a Match that selects lines matching any of the RE2
// regular expressions (Go's regexp syntax). With fold, case is ignored.
func MatchRegexp(patterns []string, fold bool) (func([]byte) bool, error) {
	expr := strings.Join(patterns, "|")
	if len(patterns) > 1 {
		parts := make([]string, len(patterns))
		for i, p := range patterns {
			parts[i] = "(?:" + p + ")"
		}
		expr = strings.Join(parts, "|")
	}
	if fold {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	return re.Match, nil
}

// Invert returns a Match that selects the lines m does not.
func Invert(m func([]byte) bool) func([]byte) bool {
	if m == nil {
		return func([]byte) bool { return false }
	}
	return func(text []byte) bool { return !m(text) }
}
