package ship

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlog/mlog/rotate"
)

// TestShipStepBackCompressed: ship's cursor is in current; current is
// then finished and compressed before the next run, and the clock had
// stepped back, so the next current's lines are stamped before the
// cursor's. The next run ships exactly the lines after the cursor: it
// finds the file compressed and reads every file after it whole.
func TestShipStepBackCompressed(t *testing.T) {
	srv, dir, cfg := shipSetup(t, 100)
	cfg.Once = true
	_, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)

	// More lines, then the step back: multilog rotates current, whose
	// archive is compressed, and goes on stamping an hour earlier.
	appendLines(t, dir, 100, 110)
	cur := filepath.Join(dir, "current")
	data, err := os.ReadFile(cur)
	must(t, err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	must(t, zw.Close())
	name := rotate.ArchiveName(stampOfLine(110), 's')
	must(t, os.WriteFile(filepath.Join(dir, name+".gz"), gz.Bytes(), 0o744))
	must(t, os.Remove(cur))
	var b strings.Builder
	for i := 110; i < 120; i++ {
		b.WriteString(stampOfLine(i-3600e3).String() + " " + lineText(i) + "\n")
	}
	must(t, os.WriteFile(cur, []byte(b.String()), 0o644))

	st, err := Run(context.Background(), cfg, []string{dir})
	must(t, err)
	if st.Acked != 20 {
		t.Errorf("second run: Acked = %d, want 20", st.Acked)
	}
	checkDelivery(t, srv, 120)
}
