package query

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMatchFixedFold: a case-ignoring fixed-string search answers exactly
// as RE2's (?i) over the quoted pattern, the Kelvin sign and the long s
// included, on random lines made of the pattern's letters in both cases.
func TestMatchFixedFold(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "A", "k", "K", "s", "S", "\u212a", "\u017f", ":", " ", "0", "é", "É", "\xe2", "\xc5"}
	patterns := []string{"a", "k", "S", "sk", "Kas", "a:0", "ss", "as k", ":", "0a", "é", "kÉ"}
	for _, p := range patterns {
		re := regexp.MustCompile("(?i)" + regexp.QuoteMeta(p))
		m := MatchFixed([]string{p}, true)
		for range 3000 {
			var b strings.Builder
			for range r.IntN(12) {
				b.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			line := []byte(b.String())
			if got, want := m(line), re.Match(line); got != want {
				t.Fatalf("pattern %q, line %q: %v, (?i) says %v", p, line, got, want)
			}
		}
	}
	m := MatchFixed([]string{"ERROR", "fail"}, true)
	for line, want := range map[string]bool{"an Error here": true, "FAILED": true, "erro fai": false} {
		if got := m([]byte(line)); got != want {
			t.Errorf("two patterns, %q: %v", line, got)
		}
	}
}

// foldCorpus is lines like a qmail log's, bodies only.
func foldCorpus() [][]byte {
	r := rand.New(rand.NewPCG(3, 4))
	var lines [][]byte
	for i := range 2000 {
		var l string
		switch i % 4 {
		case 0:
			l = fmt.Sprintf("tcpserver: status: %d/100", r.IntN(100))
		case 1:
			l = fmt.Sprintf("tcpserver: pid %d from 192.0.2.%d", 1000+r.IntN(30000), r.IntN(255))
		case 2:
			l = fmt.Sprintf("delivery %d: success: did_0+0+1/", r.IntN(1e6))
		default:
			l = fmt.Sprintf("new msg %d info msg %d: bytes %d from <user%d@example.com> qp %d uid 89", r.IntN(1e7), r.IntN(1e7), r.IntN(1e5), r.IntN(1000), r.IntN(1e5))
		}
		lines = append(lines, []byte(l))
	}
	lines[1777] = []byte("delivery 4242: deferral: Connection_refused._(#4.4.1)/")
	return lines
}

func benchmarkMatch(b *testing.B, pattern string, fold bool) {
	lines := foldCorpus()
	m := MatchFixed([]string{pattern}, fold)
	var bytesN int
	for _, l := range lines {
		bytesN += len(l)
	}
	b.SetBytes(int64(bytesN))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, l := range lines {
			if m(l) {
				n++
			}
		}
	}
	if n == 0 {
		b.Fatal("no match")
	}
}

// BenchmarkMatch compares a case-sensitive search with -i, per pattern:
//
//	go test -run '^$' -bench 'Match/' -benchmem ./query
func BenchmarkMatch(b *testing.B) {
	for _, p := range []string{"deferral", "Connection_refused", "4.4.1"} {
		b.Run(p+"/case", func(b *testing.B) { benchmarkMatch(b, p, false) })
		b.Run(p+"/fold", func(b *testing.B) { benchmarkMatch(b, p, true) })
	}
}

// TestFoldSpeed: -i costs at most a few times a case-sensitive search (two
// memchr scans for the rare byte's two cases, and a compare at each hit,
// against one scan), where RE2's (?i) cost 15 to 170 times. The bound, 6,
// leaves room for a loaded machine: the two are timed in turn, 7 rounds,
// and the best time of each counts.
func TestFoldSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("a benchmark")
	}
	lines := foldCorpus()
	timeOf := func(m func([]byte) bool) time.Duration {
		start := time.Now()
		for range 100 {
			for _, l := range lines {
				m(l)
			}
		}
		return time.Since(start)
	}
	sensitive, fold := MatchFixed([]string{"deferral"}, false), MatchFixed([]string{"deferral"}, true)
	timeOf(sensitive) // warm the caches
	timeOf(fold)
	c, f := time.Duration(1<<62), time.Duration(1<<62)
	for range 7 {
		c, f = min(c, timeOf(sensitive)), min(f, timeOf(fold))
	}
	ratio := float64(f) / float64(c)
	t.Logf("-i/case-sensitive: %.2f", ratio)
	if ratio > 6 {
		t.Errorf("-i is %.1fx slower than a case-sensitive search, want at most 6x", ratio)
	}
}
