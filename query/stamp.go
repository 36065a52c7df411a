package query

import (
	"github.com/mlog/mlog/tai64"
)

// maxStampLen is the longest stamp a line can start with and the byte
// after it (an ISO time must be followed by a space): a probe that holds
// this much after a line start can tell whether it is stamped.
const maxStampLen = max(tai64.LabelLen, tai64.ISOMaxLen+1)

// A Stamper recognises the stamps lines start with, in every form mlog
// and its peers write:
//
//   - a TAI64N label, "@4000000069579d7e000001f4" (multilog's t, s6-log's
//     t), in daemontools' arithmetic;
//   - an ISO 8601 time ([tai64.ParseISO]): "2026-01-02T15:04:05.123456Z"
//     (mlog multilog's i), "2026-01-02 15:04:05.123456789" (s6-log's T,
//     the local time of the zone s6-log ran in, with no zone in the text),
//     or RFC 3339 with an offset.
//
// A time with no zone is read in the Stamper's zone: s6-log's T lines must
// be read with the TZ they were written with. In a gap or an overlap of
// that zone (a clock set forward or back) the answer is one of the
// instants the wall time names. A Stamper is not safe for concurrent use:
// its zone may cache.
type Stamper struct {
	zone WallZone // nil: UTC
}

// A WallZone turns a wall time of a zone, in seconds since 1970-01-01
// 00:00:00 of that wall clock, into Unix seconds, and reports false where
// the zone has no answer. (The project's zone type's Unix is a
// WallZone.)
type WallZone interface {
	Unix(wall int64) (int64, bool)
}

// NewStamper returns a Stamper that reads times without a zone in z; nil
// means UTC.
func NewStamper(z WallZone) *Stamper {
	return &Stamper{zone: z}
}

// Parse returns the time of the stamp line starts with and the stamp's
// length in bytes (the space after it not counted), or false if the line
// has none. It does no allocation.
func (s *Stamper) Parse(line []byte) (t tai64.Time, n int, ok bool) {
	if len(line) > 0 && line[0] == '@' {
		t, _, err := tai64.Parse(line)
		return t, tai64.LabelLen, err == nil
	}
	if len(line) < 19 || line[0] < '0' || line[0] > '9' {
		return t, 0, false
	}
	iso, n, err := tai64.ParseISO(line)
	if err != nil {
		return t, 0, false
	}
	sec := iso.Sec
	if !iso.Zoned && s.zone != nil {
		if sec, ok = s.zone.Unix(sec); !ok {
			return t, 0, false
		}
	}
	return tai64.FromUnix(sec, iso.Nsec), n, true
}

// of returns the time of the stamp line starts with, as Parse does.
func (s *Stamper) of(line []byte) (tai64.Time, bool) {
	t, _, ok := s.Parse(line)
	return t, ok
}

// Body returns the text of a line after its stamp of length n and the
// space after it (two spaces after s6-log's T stamp, which writes them);
// a line with n 0 is returned whole.
func Body(text []byte, n int) []byte {
	if n == 0 {
		return text
	}
	b := text[n:]
	if len(b) > 0 && b[0] == ' ' {
		b = b[1:]
		if n != tai64.LabelLen && len(b) > 0 && b[0] == ' ' && text[10] == ' ' {
			b = b[1:]
		}
	}
	return b
}
