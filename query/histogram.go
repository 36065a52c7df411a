package query

import (
	"bufio"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/mlog/mlog/tai64"
)

// histogram counts lines per bucket of wall-clock time in one zone:
// buckets of an hour start on the hour there, even in a zone half an hour
// off UTC.
type histogram struct {
	width  int64 // nanoseconds
	clock  *clock
	counts map[int64]int64 // bucket number (local nanoseconds / width) to count
}

func newHistogram(d time.Duration, zone *tai64.Zone) *histogram {
	return &histogram{width: int64(d), clock: newClock(zone), counts: make(map[int64]int64)}
}

// localNanos returns t as nanoseconds of local wall-clock time since 1970,
// saturating far from it.
func (h *histogram) localNanos(t tai64.Time) int64 {
	sec, nsec := t.Unix()
	sec += h.clock.zoneOffset(sec)
	const lim = math.MaxInt64/1_000_000_000 - 1
	sec = max(-lim, min(lim, sec))
	return sec*1e9 + int64(nsec)
}

func (h *histogram) add(t tai64.Time) {
	h.counts[floorDiv(h.localNanos(t), h.width)]++
}

// bar characters, eighths of a cell.
var eighths = []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// print writes one row per bucket from the first to the last that has
// lines, empty ones included, widened to the range when it is bounded and
// the result stays under maxBuckets rows.
func (h *histogram) print(w *bufio.Writer, cfg *Config) error {
	if len(h.counts) == 0 {
		return nil
	}
	keys := make([]int64, 0, len(h.counts))
	var most int64
	for k, n := range h.counts {
		keys = append(keys, k)
		most = max(most, n)
	}
	slices.Sort(keys)
	lo, hi := keys[0], keys[len(keys)-1]
	if hi-lo >= maxBuckets {
		return &UsageError{Msg: "histogram of " + strconv.FormatInt(hi-lo+1, 10) + " buckets: choose wider buckets"}
	}
	if !isZero(cfg.Since) {
		if k := floorDiv(h.localNanos(cfg.Since), h.width); k < lo && hi-k < maxBuckets {
			lo = k
		}
	}
	if !isZero(cfg.Until) {
		if k := floorDiv(h.localNanos(cfg.Until)-1, h.width); k > hi && k-lo < maxBuckets {
			hi = k
		}
	}
	utc := newClock(nil) // bucket starts are local nanoseconds: print them as UTC
	countWidth := len(strconv.FormatInt(most, 10))
	barWidth := cfg.Width
	if barWidth == 0 {
		barWidth = 80
	}
	barWidth -= 19 + 2 + countWidth + 1 // "YYYY-MM-DD HH:MM:SS  count "
	barWidth = max(barWidth, 10)
	var b []byte
	for k := lo; k <= hi; k++ {
		n := h.counts[k]
		start := k * h.width
		t := tai64.FromUnix(floorDiv(start, 1e9), int32(start-floorDiv(start, 1e9)*1e9))
		b = b[:0]
		if cfg.Format == JSON {
			b = append(b, `{"time":"`...)
			b = utc.appendTime(b, t, 'T')
			if h.width%1e9 == 0 {
				b = b[:len(b)-10] // the seconds' fraction, always zero
			}
			b = append(b, `Z","count":`...)
			b = strconv.AppendInt(b, n, 10)
			b = append(b, "}\n"...)
		} else {
			sep := byte(' ')
			if cfg.Format == UTC || cfg.Format == Unix {
				sep = 'T'
			}
			b = utc.appendTime(b, t, sep)
			if h.width%1e9 == 0 {
				b = b[:len(b)-10] // the seconds' fraction, always zero
			}
			if cfg.Format == UTC || cfg.Format == Unix {
				b = append(b, 'Z')
			}
			b = append(b, ' ', ' ')
			s := strconv.FormatInt(n, 10)
			for range countWidth - len(s) {
				b = append(b, ' ')
			}
			b = append(b, s...)
			cells := n * int64(barWidth) * 8 / most
			if cells > 0 {
				b = append(b, ' ')
			}
			for range cells / 8 {
				b = append(b, "█"...)
			}
			b = append(b, eighths[cells%8]...)
			b = append(b, '\n')
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// floorDiv is a/b rounded towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
