// Package ship forwards the lines of multilog logdirs to a central
// collector (rsyslog, or anything that speaks RELP or syslog over TCP or
// UDP), each line as one RFC 5424 message, with nothing lost while the
// collector is down.
//
// # Messages
//
// Each line becomes
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME - - - MSG
//
// TIMESTAMP is the line's TAI64N label in daemontools' arithmetic (label
// seconds - 2^62 - 10 = Unix seconds), as RFC 3339 UTC with microseconds;
// a line without a label takes the time it was read. MSG is the line after
// its label and the space after it, cut to Config.MaxSize. HOSTNAME,
// APP-NAME and PRI come from Config.
//
// # Reading
//
// The logdirs are read with package query's pull API ([query.Pull]):
// archives, compressed or not, then current, followed across rotations,
// each line with its time and its exact position, which ship keeps with
// the line's message until the collector acknowledges it.
//
// # Acknowledgements and the cursor
//
// Messages sit in a window (Config.Window) from the time their line is
// read until the collector acknowledges them. The cursor file records, per
// logdir, the position after the last line acknowledged with every line
// before it acknowledged too; it is saved (write, fsync, rename, fsync the
// directory) whenever acknowledgements move it. A restart resumes exactly
// there. What the window held unacknowledged is read and sent again: at
// least once for those, never twice for a line whose acknowledgement was
// committed. A kill -9 between an acknowledgement and the commit that
// follows it (a few milliseconds: one fsync) can send those lines again.
//
// How much an acknowledgement means depends on the network:
//
//   - RELP: the collector's "200 OK" for the message. rsyslog's imrelp
//     answers once the message is in its main queue.
//   - TCP (octet counting, RFC 6587 3.4.1): syslog over TCP has no
//     acknowledgements. A message counts as acknowledged once the
//     collector's TCP has acknowledged its last byte (the socket's send
//     queue, SIOCOUTQ, on Linux; elsewhere once written). A collector that
//     dies loses what sat in its own buffers; a connection that breaks
//     loses nothing, since what its TCP had not acknowledged is sent again.
//   - UDP: best effort. A message counts as acknowledged once sent; a
//     datagram lost on the way is lost. A collector whose port is closed
//     shows (on the same host, or where ICMP comes back) as a refused
//     connection, and ship pauses and retries as for TCP.
//
// # Failures
//
// A collector that cannot be reached, breaks the connection, refuses a
// message, or leaves messages unacknowledged for Config.Timeout, is
// connected to again after a pause that doubles from Config.Backoff up to
// Config.BackoffMax; the lines wait in the logdir, which is the buffer.
// Each pause is reported through Config.Warn as a *PauseError. When the
// unshipped lines reach the oldest archive of a logdir that has as many
// archives as multilog keeps (multilog's n: from the log service's run
// script, else Config.Keep, and learned from pruning when the logdir shows
// it wrong), the next rotation will delete them: a *BacklogError says so,
// once per archive.
//
// The package never writes to a logdir; it writes only its cursor file.
package ship
