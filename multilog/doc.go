// Package multilog is daemontools' multilog: it reads a log stream line by
// line, selects lines with the script's +pattern and -pattern actions, and
// hands each line to the logdirs, the e (stderr) and =file actions that
// selected it. Logdirs themselves (rotation, archives, processors) belong to
// package rotate.
//
// Compatibility notes, all copied on purpose from daemontools 0.76:
//   - an action is chosen by its first byte; unknown actions are ignored;
//   - a logdir must start with '.' or '/';
//   - t (a TAI64N stamp on each line) counts only as the first action;
//   - selection, e and = look at the first 1000 bytes of a line, stamp
//     included; the whole line always goes to the logdirs;
//   - a partial last line gets a newline;
//   - all logdirs are flushed before each read that would block, so a line
//     is in current as soon as the input goes idle.
//
// Beyond daemontools, and only when the script asks for it: ISO 8601 stamps
// (i), compressed archives (z), a total-size cap (m), rotation by age (a)
// and files larger than 16 MB (c). See [ParseScript].
package multilog
