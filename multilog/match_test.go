package multilog

import (
	"testing"
)

var matchTests = []struct {
	pattern, line string
	want          bool
}{
	{"", "", true},
	{"", "a", false},
	{"hello", "hello", true},
	{"hello", "hello world", false},
	{"*", "", true},
	{"*", "anything at all", true},
	{"*world", "hello world", true},
	{"*pid*", "tcpsvd: info: pid 1977", false}, // the first * stops at the first p
	{"named[*]: Cleaned cache *", "named[135]: Cleaned cache of 3121 RRs", true},
	{"* fatal: *", "@4000000069235b1c2e8a7d4c fatal: oops", true},
	{"* fatal: *", "@4000000069235b1c2e8a7d4c warning: fatal: oops", false},
	{"a*c", "abc", true},
	{"a*c", "abcc", false}, // no backtracking: * stops at the first c
	{"a*", "a", true},
	{"a**", "a*", true},
	{"a**", "ab", false}, // the first * looks for a literal *
	{"a*b*", "ab", true},
	{"[?]\\", "[?]\\", true},
	{"x", "", false},
	{"*x", "", false},
}

func TestMatch(t *testing.T) {
	for _, tc := range matchTests {
		if got := Match(tc.pattern, []byte(tc.line)); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.line, got, tc.want)
		}
	}
}

// refMatch is match.c read literally, as a reference for fuzzing.
func refMatch(pattern string, buf []byte) bool {
	p := []byte(pattern)
	for {
		if len(p) == 0 {
			return len(buf) == 0
		}
		ch := p[0]
		p = p[1:]
		if ch == '*' {
			if len(p) == 0 {
				return true
			}
			for {
				if len(buf) == 0 {
					return false
				}
				if buf[0] == p[0] {
					break
				}
				buf = buf[1:]
			}
			continue
		}
		if len(buf) == 0 || buf[0] != ch {
			return false
		}
		buf = buf[1:]
	}
}

func FuzzMatch(f *testing.F) {
	for _, tc := range matchTests {
		f.Add(tc.pattern, []byte(tc.line))
	}
	f.Fuzz(func(t *testing.T, pattern string, line []byte) {
		if got, want := Match(pattern, line), refMatch(pattern, line); got != want {
			t.Errorf("Match(%q, %q) = %v, reference says %v", pattern, line, got, want)
		}
	})
}

func TestMatchAllocs(t *testing.T) {
	line := []byte("@4000000069235b1c2e8a7d4c tcpserver: status: 1/40")
	if n := testing.AllocsPerRun(1000, func() { Match("* status: *", line) }); n != 0 {
		t.Fatalf("allocs per match = %v, want 0", n)
	}
}
