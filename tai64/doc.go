// Package tai64 reads and writes TAI64 and TAI64N labels as daemontools does,
// and holds the tai64n and tai64nlocal stream filters.
//
// A TAI64N label is "@" followed by 24 lowercase hex digits: 16 for the
// seconds and 8 for the nanoseconds, both big-endian ([Time], [Parse],
// [Time.Append]). By default the arithmetic is daemontools': seconds =
// 2^62 + 10 + Unix seconds, with no leap-second table ([Epoch]). That is
// what multilog, tai64n and tai64nlocal write and read, so a label written
// by daemontools converts back to the same instant. s6 labels are true TAI
// and so read 27 seconds late in this mode; [Time.ToTAI], [Time.ToUTC] and
// [LeapSeconds] convert, and [StampConfig] and [LocalConfig] have a TAI
// switch that does it as s6-tai64n and s6-tai64nlocal do.
//
// Labels we make ourselves copy daemontools' nanoseconds too: the clock is
// read to the microsecond and the label says usec*1000+500 ([Stamp]), so our
// files are indistinguishable from daemontools' and sort the same way.
//
// # Filters
//
// [StampLines] is tai64n: it puts the label of the time each line's first
// byte was read, and a space, before every line. [LocalLines] is
// tai64nlocal: it replaces the label at the start of each line with a
// readable time. Both read in large blocks and flush their output before
// every read, as multilog's flushread does, so output is prompt when input
// is slow and written in large blocks when it is fast. Neither allocates
// per line.
//
// [LocalLines] reads labels exactly as tai64nlocal 0.76 does: after '@',
// any number of digits 0-9 and a-f (not A-F); the first other byte ends
// the label and is kept; the seconds are all the digits but the last 8,
// wrapped to 64 bits, and the nanoseconds the last 8, printed with at least
// 9 digits. Where 0.76 crashes because localtime fails (uppercase hex, a
// short label, "@xyz"), the line is copied unchanged. The year is not
// padded and, as in 0.76, is cut to 32 bits and printed unsigned. A
// [Localizer] caches the zone's offset until its next transition and the
// last second it formatted, so a line costs some integer arithmetic and
// two copies.
//
// # Zones and the calendar
//
// The package owns local time for the whole project. [LoadZone] reads the
// zone glibc's tzset reads for a TZ value (unset, empty, ":path", a name
// under TZDIR, a POSIX rule such as "JST-9" or "CET-1CEST,M3.5.0,M10.5.0/3")
// and gives a [Zone]: instant to offset and abbreviation ([Zone.Lookup],
// glibc's localtime) and wall time to instant ([Zone.Unix], glibc's mktime).
// [CivilOf] and [Civil.Seconds] are the one calendar. tai64nlocal, mlog
// query's local times and histograms, and ship's RFC 3339 stamps all go
// through them and through a [Localizer], so a fix here is made everywhere.
//
// The package reads no environment: the caller passes TZ's value in
// [ZoneConfig]. It opens no files but zone files, in [LoadZone].
package tai64
