// Package query finds the lines of multilog logdirs that lie in a time
// range, without reading the files that cannot hold them.
//
// # Which files
//
// A logdir's lines are in its archives ("@<label>.s", ".u", and the
// compressed ".s.gz" and ".s.zst"), oldest name first, then previous (while
// a processor runs), then processed (once the processor is done with it
// and previous is gone), then current. Everything else (lock, state,
// newstate, temporary files) is not log data. An archive's name is the time
// multilog finished it, so it is at or after every line in it: an archive
// named before Since is not opened. Of the others, the first stamp of each
// is read; a file whose first stamp is at or after Until is not read
// further. Where the same archive is there plain and compressed (a
// compressor is running), the plain one is read; where previous or
// processed is the same inode as an archive (multilog links before it
// unlinks), it is read once. An archive compressed under a plain name, as a
// "!gzip" processor leaves it, is recognised by its magic number.
//
// The files are opened, and the logdir listed again: if a rotation changed
// it meanwhile, everything is reopened. Open files stay readable when
// multilog renames or unlinks them, so a query sees one consistent set of
// files; current is read up to its size at that moment.
//
// # Inside a file
//
// In a plain file that the range cuts, the first line at or after Since
// and the first at or after Until are found by bisection: read a page in
// the middle, resynchronise at the next line that starts with a label,
// compare, repeat. Compressed archives cannot be bisected: they are
// decompressed from the start up to Until, and only when they overlap the
// range.
//
// # Clocks that step back
//
// The search trusts that stamps do not go backwards inside one file. It
// checks that trust where it costs nothing: a file whose first stamp is
// after its last, or whose last stamp is after its name, is read whole;
// every probe must lie between the probes around it; and the lines of a
// bisected region must be in order: if one is not, the rest of the file
// and the part before the region are read too, every line tested (their
// lines of the range then come after the region's). Between files nothing
// is assumed: archives named out of order (the clock stepped back between
// two rotations) are each judged by their own first and last stamps. A
// step back inside one file that no check sees can still hide lines from
// a search; Config.Scan reads everything and trusts nothing.
//
// # Logdirs of other accounts
//
// Files are opened relative to the logdir without following a symbolic
// link and without blocking (O_NOFOLLOW, O_NONBLOCK), and only regular
// files are read: root may query a logdir an account it does not trust
// writes. Anything else is skipped and reported ([SkipError]). A file that
// cannot be read, or not to its end, is reported ([OpError]) and counted
// in [Stats].Failed; the query goes on with the others.
//
// # Stamps
//
// A line's stamp is a TAI64N label or an ISO 8601 time at its start (see
// [Stamper]): multilog's t, mlog multilog's i, s6-log's T, mixed as they
// come. The rest of this doc says label for any of them.
//
// # Long lines
//
// A line longer than [MaxLine] is read and printed in pieces, never held
// whole; it is matched by its first MaxLine bytes.
//
// # Lines without a label
//
// A line that does not start with a TAI64N label (multilog run without t,
// or the rest of a line multilog cut at its size limit) takes the time of
// the stamped line before it in the same file; lines before a file's first
// stamp take that first stamp. Lines of a file with no stamps at all have
// time zero: they are printed only when Since is zero. A partial last line
// (no newline) is printed with one added, except that with Follow or a
// Cursor a partial last line of current is left for later.
//
// # Order
//
// One logdir's lines come in the order they were written. Several logdirs
// are merged by time, as sort -m would, the earlier logdir first on a tie.
//
// The package never writes to a logdir.
package query
