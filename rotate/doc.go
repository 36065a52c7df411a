// Package rotate owns one logdir as daemontools' multilog keeps it: the
// lock, current, previous, processed, state and newstate files, the
// @<tai64n>.s and .u archives (and mlog's compressed .s.gz and .s.zst), the
// size and count limits, the processor, and the recovery at open of
// whatever a crash left half-done.
package rotate
