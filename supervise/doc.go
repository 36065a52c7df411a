// Package supervise is daemontools' supervision layer: service directories,
// the supervise loop, the svscan loop, and the logic of svc, svstat, svok,
// setuidgid, envuidgid, envdir, softlimit, readproctitle and svscanboot.
//
// # Contract
//
// The package never prints, never exits, never reads os.Args or the
// environment and never changes the working directory. Programs pass what
// they need in a Config (the zero value means daemontools' default) and get
// warnings through a Warn hook. Errors read well after "unable to ": they are
// [*fs.PathError] or internal/fault's Error values whose Op and Path are daemontools'
// words, so that fault.Describe prints the line daemontools prints; where
// a caller must tell one failure from another (svc words a failed write
// differently), the error's Kind is a sentinel ([ErrCommandsNotWritten]).
//
// # Compatibility with daemontools 0.76
//
// Files on disk are daemontools' own, so the real svc, svstat and svok work on
// our supervise and ours on theirs:
//
//   - supervise/ (0700) holds lock (flock, non-blocking), the FIFOs control
//     and ok (0600), and the 18-byte status, replaced whole through
//     status.new and rename. supervise holds control open for reading and
//     writing, so it never sees end of file, and ok open for reading, so a
//     writer's non-blocking open succeeds exactly while supervise runs.
//   - status is a TAI64N stamp of the last pid change (12 bytes), the pid
//     (4 bytes, little-endian, 0 when down), a paused flag and the want byte
//     'u', 'd' or 0 (after svc -o). See [Status].
//   - Control bytes are u d o p c h a i t k x with daemontools' meanings; d
//     sends TERM then CONT; x makes supervise exit once the service is down.
//     supervise pauses one second after each start, deaf to commands, and
//     restarts the service when it dies while wanted up. It runs ./run
//     directly: no shell, no finish script.
//   - svscan rescans every five seconds, skips names starting with a dot,
//     follows symlinks, tracks services by device and inode, and keeps one
//     pipe per service with a log for its whole life, so a restart on either
//     side loses no buffered line.
//
// Where we differ on purpose: supervise never follows a link inside
// supervise/, nor a supervise/ link of another account to a directory it
// does not own, and never blocks opening a file there (see [Run] and
// docs/supervise.md); the readers open control and ok only as named pipes
// and status only as a regular file. A service left running by a killed
// supervise is adopted, not started twice (see [Adopted]).
// daemontools' supervise reports a ./run that
// cannot be executed from the forked child, which exits 111 and is restarted;
// Go's fork and exec report it to the parent, so supervise warns, records the
// service as down, pauses and tries again. After a fork failure it pauses 60
// seconds as daemontools does but then tries again, where 0.76 leaves the
// service down until the next svc -u.
package supervise
