// Package rotate owns one logdir as daemontools' multilog keeps it: the
// lock, current, previous, processed, state and newstate files, the
// @<tai64n>.s and .u archives (and mlog's compressed .s.gz and .s.zst), the
// size and count limits, the processor, and the recovery at open of
// whatever a crash left half-done.
//
// An archive is on disk before it is named @<stamp>.s, as with multilog's
// fsync then rename; a rotated file is @<stamp>.u until then. The fsyncs
// are batched off the intake path (finisher): every file waiting is taken
// at once, pruning runs first (a file it deletes is never synced, and its
// bytes need never reach the disk), the rest are written back together and
// fsynced, then all renamed .s, then the logdir is fsynced once. Input waits
// only when queueLen files (16, or 16 MB of small ones) wait already.
package rotate
