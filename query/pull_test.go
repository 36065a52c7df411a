package query

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// pullAll returns the text of every line a pull yields, and its positions.
func pullAll(t *testing.T, cfg Config, dir string) ([]string, []Position) {
	t.Helper()
	var texts []string
	var poss []Position
	for r, err := range Pull(context.Background(), cfg, []string{dir}) {
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(r.Text))
		poss = append(poss, r.Pos)
	}
	return texts, poss
}

// TestPullResumesExactly: resuming from any line's position yields
// exactly the lines after it, through plain and compressed archives, and
// a partial last line of current is not yielded.
func TestPullResumesExactly(t *testing.T) {
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 17))
		dir, _ := genLogdir(t, r, genOpts{archives: 4, maxLines: 30, compressed: true, unstamped: 0.1, partialLast: seed%2 == 0})
		texts, poss := pullAll(t, Config{}, dir)
		var want []string
		for l, err := range Lines(context.Background(), Config{}, []string{dir}) {
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, string(l.Text))
		}
		if seed%2 == 0 {
			want = want[:len(want)-1] // the partial line waits for its end
		}
		if strings.Join(texts, "\n") != strings.Join(want, "\n") {
			t.Fatalf("seed %d: Pull and Lines differ: %s", seed, firstDiff(strings.Join(texts, "\n"), strings.Join(want, "\n")))
		}
		for _, k := range []int{0, 1, len(texts) / 2, len(texts) - 2, len(texts) - 1} {
			c := &Cursor{Positions: []Position{poss[k]}}
			if poss[k].Ino == 0 {
				t.Fatalf("seed %d: line %d has no file in its position", seed, k)
			}
			got, _ := pullAll(t, Config{Cursor: c}, dir)
			if strings.Join(got, "\n") != strings.Join(texts[k+1:], "\n") {
				t.Errorf("seed %d: resumed after line %d of %d: got %d lines, want %d", seed, k, len(texts), len(got), len(texts)-k-1)
			}
		}
	}
}

// TestPullFollow: a following pull yields the lines as they are written,
// across rotations (some compressed), saves at each pause, and ends
// without an error when ctx is done.
func TestPullFollow(t *testing.T) {
	dir := t.TempDir()
	m := newFakeMultilog(t, dir, 5)
	for range 20 {
		m.line()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const total = 300
	got := make(chan string, total)
	saves := make(chan Position, 1000)
	done := make(chan error, 1)
	cur := &Cursor{}
	cfg := Config{Follow: true, Poll: 20 * time.Millisecond, Cursor: cur, Save: func(c *Cursor) error {
		select {
		case saves <- c.Positions[0]:
		default:
		}
		return nil
	}}
	go func() {
		var err error
		for r, e := range Pull(ctx, cfg, []string{dir}) {
			if e != nil {
				err = e
				break
			}
			got <- string(r.Text)
		}
		done <- err
	}()
	for m.n < total {
		m.line()
		if m.n%37 == 0 {
			m.rotate()
		}
	}
	m.cur.Close()
	for i := 1; i <= total; i++ {
		select {
		case l := <-got:
			if want := fmt.Sprintf(" line %d", i); !strings.HasSuffix(l, want) {
				t.Fatalf("line %d: got %q", i, l)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d of %d lines after 30s", i-1, total)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("follow ended with %v", err)
	}
	if len(saves) == 0 {
		t.Error("Save was never called")
	}
}

// TestPullLongLine: a line longer than MaxLine comes as its first MaxLine
// bytes, and its position is after its end.
func TestPullLongLine(t *testing.T) {
	defer func(n int) { maxLineBuf = n }(maxLineBuf)
	maxLineBuf = readBufSize
	dir := t.TempDir()
	long := base.String() + " " + strings.Repeat("y", 3*readBufSize)
	writeArchive(t, dir+"/current", 0, []byte(base.String()+" a\n"+long+"\n"+base.String()+" b\n"))
	texts, poss := pullAll(t, Config{}, dir)
	if len(texts) != 3 || texts[1] != long[:readBufSize] || texts[2] != base.String()+" b" {
		t.Fatalf("got %d lines, want the long one cut at %d", len(texts), readBufSize)
	}
	got, _ := pullAll(t, Config{Cursor: &Cursor{Positions: []Position{poss[1]}}}, dir)
	if len(got) != 1 || got[0] != texts[2] {
		t.Fatalf("resumed after the long line: got %q", got)
	}
}
