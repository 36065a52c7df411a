// Package tai64 reads and writes TAI64 and TAI64N labels as daemontools does.
//
// A TAI64N label is "@" followed by 24 lowercase hex digits: 16 for the
// seconds and 8 for the nanoseconds, both big-endian. By default the
// arithmetic is daemontools': seconds = 2^62 + 10 + Unix seconds, with no
// leap-second table. That is what multilog, tai64n and tai64nlocal write and
// read, so a label written by daemontools converts back to the same instant.
// s6 labels are true TAI and so read 27 seconds late in this mode; see
// [LeapSeconds] for the opt-in conversion.
//
// Labels we make ourselves copy daemontools' nanoseconds too: the clock is
// read to the microsecond and the label says usec*1000+500, so our files are
// indistinguishable from daemontools' and sort the same way.
package tai64
