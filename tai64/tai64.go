package tai64

import (
	"errors"
	"time"
)

// Epoch is added to Unix seconds to give a TAI64 label's seconds, as
// daemontools does: 2^62 for the label's origin plus the 10 s TAI-UTC offset
// of 1970. No leap seconds are counted.
const Epoch = 1<<62 + 10

// LabelLen is the length of a TAI64N label: "@" and 24 hex digits.
const LabelLen = 25

// Time is a TAI64N instant.
type Time struct {
	Sec  uint64 // TAI64 seconds, Epoch + Unix seconds in daemontools' arithmetic
	Nsec uint32 // 0 <= Nsec < 1e9 for a valid label
}

// ErrSyntax reports a byte string that is not a TAI64N label.
var ErrSyntax = errors.New("invalid TAI64N label")

// FromUnix returns the label for Unix seconds sec and nanoseconds nsec, in
// daemontools' arithmetic.
func FromUnix(sec int64, nsec int32) Time {
	return Time{Sec: uint64(sec + Epoch), Nsec: uint32(nsec)}
}

// FromTime returns the label for t with its full nanosecond precision.
func FromTime(t time.Time) Time {
	return FromUnix(t.Unix(), int32(t.Nanosecond()))
}

// Stamp returns the label daemontools would write at t: the time is cut to
// the microsecond and the nanoseconds read usec*1000+500 (taia_now.c).
func Stamp(t time.Time) Time {
	return FromUnix(t.Unix(), int32(t.Nanosecond()/1000*1000+500))
}

// Now returns [Stamp] of the current time.
func Now() Time { return Stamp(time.Now()) }

// Unix returns t's Unix seconds and nanoseconds in daemontools' arithmetic.
func (t Time) Unix() (sec int64, nsec int32) {
	return int64(t.Sec - Epoch), int32(t.Nsec)
}

// Time returns t as a [time.Time] in daemontools' arithmetic.
func (t Time) Time() time.Time {
	sec, nsec := t.Unix()
	return time.Unix(sec, int64(nsec))
}

// Before reports whether t is earlier than u.
func (t Time) Before(u Time) bool {
	return t.Sec < u.Sec || t.Sec == u.Sec && t.Nsec < u.Nsec
}

// Compare returns -1, 0 or +1 as t is before, equal to or after u.
func (t Time) Compare(u Time) int {
	switch {
	case t.Before(u):
		return -1
	case u.Before(t):
		return 1
	}
	return 0
}

const hexDigits = "0123456789abcdef"

// Put writes t's 25-byte label into b. It does no allocation.
func (t Time) Put(b *[LabelLen]byte) {
	b[0] = '@'
	s := t.Sec
	for i := 16; i >= 1; i-- {
		b[i] = hexDigits[s&15]
		s >>= 4
	}
	n := t.Nsec
	for i := 24; i >= 17; i-- {
		b[i] = hexDigits[n&15]
		n >>= 4
	}
}

// Append appends t's 25-byte label to dst and returns the extended slice.
func (t Time) Append(dst []byte) []byte {
	var b [LabelLen]byte
	t.Put(&b)
	return append(dst, b[:]...)
}

// String returns t's label.
func (t Time) String() string {
	var b [LabelLen]byte
	t.Put(&b)
	return string(b[:])
}

// unhex maps a byte to its hex value, or 0xff. Both cases are accepted.
var unhex = hexTable(true)

// hexTable maps the hex digits 0-9, a-f (and A-F if upper) to their values,
// and every other byte to 0xff: one lookup per digit, no branches.
func hexTable(upper bool) (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := byte(0); i < 10; i++ {
		t['0'+i] = i
	}
	for i := byte(0); i < 6; i++ {
		t['a'+i] = 10 + i
		if upper {
			t['A'+i] = 10 + i
		}
	}
	return t
}

// Parse reads a TAI64N label at the start of b: "@" and 24 hex digits of
// either case. It returns the label and the bytes consumed (always
// [LabelLen]), or [ErrSyntax]. It does no allocation.
func Parse(b []byte) (Time, int, error) {
	if len(b) < LabelLen || b[0] != '@' {
		return Time{}, 0, ErrSyntax
	}
	hi, ok1 := hex8Either(b[1:9])
	lo, ok2 := hex8Either(b[9:17])
	ns, ok3 := hex8Either(b[17:25])
	if !(ok1 && ok2 && ok3) {
		return Time{}, 0, ErrSyntax
	}
	return Time{Sec: uint64(hi)<<32 | uint64(lo), Nsec: ns}, LabelLen, nil
}

// hex8Either decodes 8 hex digits of either case (hex8 in local.go takes
// lowercase only, as tai64nlocal does). The digits are independent loads and the
// validity test is one OR at the end, so there is no branch per digit:
// label parsing is a large part of a line's cost in mlog query.
func hex8Either(b []byte) (uint32, bool) {
	_ = b[7]
	v0, v1, v2, v3 := unhex[b[0]], unhex[b[1]], unhex[b[2]], unhex[b[3]]
	v4, v5, v6, v7 := unhex[b[4]], unhex[b[5]], unhex[b[6]], unhex[b[7]]
	bad := v0 | v1 | v2 | v3 | v4 | v5 | v6 | v7
	v := uint32(v0)<<28 | uint32(v1)<<24 | uint32(v2)<<20 | uint32(v3)<<16 |
		uint32(v4)<<12 | uint32(v5)<<8 | uint32(v6)<<4 | uint32(v7)
	return v, bad&0xf0 == 0
}
