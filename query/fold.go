package query

import (
	"bytes"
	"regexp"
)

// foldMatcher finds an ASCII string in text ignoring case, as RE2's (?i)
// does, without a regular expression: (?i) runs RE2's automaton over
// every byte of every line, 15 to 23 times slower than a case-sensitive
// bytes.Contains. It scans for the pattern's rarest byte (both of its
// cases, each with bytes.IndexByte, memchr-fast) and compares the pattern
// around each hit.
//
// Unicode simple folding gives two ASCII letters a non-ASCII twin: k has
// U+212A KELVIN SIGN and s has U+017F LATIN SMALL LETTER LONG S. For a
// pattern holding k or s, a line without a hit that holds the first byte
// of either (0xE2, 0xC5) is asked of the regular expression too, so the
// answer is (?i)'s exactly.
type foldMatcher struct {
	pat    []byte // lower case
	off    int    // the index in pat of the byte scanned for
	lo, up byte   // that byte's two cases (the same for a non-letter)
	twins  bool   // pat holds k or s
	re     *regexp.Regexp
}

// lowerASCII maps A-Z to a-z and every other byte to itself.
var lowerASCII = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// commonBytes lists the bytes of log text from most to least common, by
// rough counts over qmail, sshd and kernel logs; a byte not listed is
// rarer than every byte listed. A letter counts both of its cases.
const commonBytes = " e0t1a2sor3in45:l6d7c8u9p.m/-hfgyb=wvk_,x[]()qjz"

var byteRank = func() (r [256]int) {
	for i, c := range []byte(commonBytes) {
		r[c] = len(commonBytes) - i
	}
	return r
}()

// newFoldMatcher returns a matcher of the ASCII string p, or nil if p is
// empty or not ASCII.
func newFoldMatcher(p string) *foldMatcher {
	if p == "" {
		return nil
	}
	m := &foldMatcher{pat: make([]byte, len(p))}
	best := -1
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 0x80 {
			return nil
		}
		l := lowerASCII[c]
		m.pat[i] = l
		if l == 'k' || l == 's' {
			m.twins = true
		}
		// A letter costs two scans, one per case: prefer a rare
		// non-letter of nearly the same rank.
		rank := byteRank[l] * 4
		if 'a' <= l && l <= 'z' {
			rank += 4
		}
		if best < 0 || rank < best {
			best, m.off = rank, i
		}
	}
	m.lo = m.pat[m.off]
	m.up = m.lo
	if 'a' <= m.lo && m.lo <= 'z' {
		m.up = m.lo - 'a' + 'A'
	}
	if m.twins {
		m.re = regexp.MustCompile("(?i)" + regexp.QuoteMeta(p))
	}
	return m
}

// match reports whether text contains the pattern, case ignored.
func (m *foldMatcher) match(text []byte) bool {
	if m.find(text) {
		return true
	}
	if m.twins && (bytes.IndexByte(text, 0xE2) >= 0 || bytes.IndexByte(text, 0xC5) >= 0) {
		return m.re.Match(text)
	}
	return false
}

// find looks for the pattern in ASCII case folding only.
func (m *foldMatcher) find(text []byte) bool {
	n := len(m.pat)
	if len(text) < n {
		return false
	}
	// The scanned byte can sit at text[m.off : end].
	end := len(text) - n + m.off + 1
	nextLo, nextUp := -1, -1 // the next hit of each case at or after i; end if none
	for i := m.off; i < end; {
		if nextLo < i {
			nextLo = end
			if j := bytes.IndexByte(text[i:end], m.lo); j >= 0 {
				nextLo = i + j
			}
		}
		if m.up == m.lo {
			nextUp = nextLo
		} else if nextUp < i {
			nextUp = end
			if j := bytes.IndexByte(text[i:end], m.up); j >= 0 {
				nextUp = i + j
			}
		}
		c := min(nextLo, nextUp)
		if c >= end {
			return false
		}
		if equalFoldASCII(text[c-m.off:c-m.off+n], m.pat) {
			return true
		}
		i = c + 1
	}
	return false
}

// equalFoldASCII reports whether b equals the lower-case pat with ASCII
// letters in b of either case.
func equalFoldASCII(b, pat []byte) bool {
	for i, c := range pat {
		if lowerASCII[b[i]] != c {
			return false
		}
	}
	return true
}
