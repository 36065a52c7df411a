// Package compat holds the daemontools-compatible programs: each turns its
// argv, exactly as daemontools parses it, into a package Config, runs one
// package function, and turns the result into daemontools' messages and exit
// codes. It links nothing heavy (no cobra, no compressors) so that the
// long-running programs (multilog, supervise, svscan, readproctitle) stay
// small in memory; see cmd/mlog-tools.
package compat
