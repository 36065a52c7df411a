// Package rotate owns one logdir as daemontools' multilog keeps it: the
// lock, current, previous, processed, state and newstate files, the
// @<tai64n>.s and .u archives (and mlog's compressed .s.gz and .s.zst), the
// size and count limits, the processor, and the recovery at open of
// whatever a crash left half-done.
//
// It is also the one place that knows the layout: the names ([Current],
// [Previous], [Processed], [NewState], [State], [Lock], [ArchiveName]),
// what the x bit on processed means ([Finished]), the order in which a
// logdir's files hold its lines ([Layout], [List]), and which of them a
// reader skips because another holds the same lines ([File.Twin],
// [Unread]). Readers of a logdir (query, ship) use these rather than
// spelling names or deciding states themselves.
//
// # Rotation, step by step
//
// Without a processor (our multilog; daemontools links and unlinks in one
// step, we rename and finish in the background):
//
//  1. current is full (or old enough): current gets the boot id in an
//     extended attribute.
//  2. rename current to @<stamp>.u, the stamp after every line in it and
//     after the newest archive name.
//  3. create a new empty current (0600, then 0644).
//  4. the finisher fsyncs @<stamp>.u, sets it 0744 and renames it
//     @<stamp>.s, then fsyncs the logdir (in batches: see below).
//  5. with compression: the compressor writes tmp.@<stamp>.s.zst (or
//     .gz), sets it 0744, renames it @<stamp>.s.zst, then unlinks
//     @<stamp>.s. For a moment both names are there: twins (see
//     [File.Twin]).
//  6. pruning removes the oldest archives while more than n-1 are there.
//
// With a processor (multilog's fullcurrent, every step synchronous):
//
//  1. fsync current; rename current to previous.
//  2. create a new empty current.
//  3. chmod previous 0744; run the processor: previous on its stdin,
//     processed on its stdout, state on fd 4, newstate on fd 5.
//  4. fsync processed and set it 0744 (now [Finished]); fsync newstate.
//  5. unlink previous; rename newstate to state.
//  6. link processed to @<stamp>.s, then unlink processed.
//  7. compression and pruning as above.
//
// # The states a crash can leave, in order
//
// A crash (kill -9, power loss) leaves one of these, and Open recovers
// each as multilog does (current, then previous/processed), after
// finishing the .u archives this boot rotated:
//
//  1. current only, mode 0644: a crash while writing. Open renames it
//     @<stamp>.u (its tail may be partial), then starts a new current.
//  2. current mode 0744: multilog exited cleanly; Open appends to it.
//  3. @<stamp>.u marked with this boot's id: the finisher had not
//     renamed it yet. Open fsyncs it and renames it @<stamp>.s. One from
//     an earlier boot (or unmarked) stays .u: it may not be on disk.
//  4. tmp.@<stamp>.s.zst beside @<stamp>.s: compression was cut off.
//     Open removes the temporary file and compresses again.
//  5. @<stamp>.s and @<stamp>.s.zst (twins): the crash came between the
//     rename and the unlink. Open removes the plain one.
//  6. previous, no processed (or processed without the x bit): the
//     processor had not finished. Open removes processed and archives
//     previous as @<stamp>.u: the lines are kept, unprocessed.
//  7. previous and processed with the x bit: processed is whole. Open
//     removes previous and archives processed as @<stamp>.s.
//  8. processed with the x bit, no previous: the crash came between
//     steps 5 and 6. Open archives processed as @<stamp>.s.
//  9. processed and an archive that are the same inode: the crash came
//     between the link and the unlink of step 6. Open unlinks processed.
//
// state and newstate are removed at every recovery: a processor run that
// did not finish leaves no state behind.
//
// # Durability
//
// An archive is on disk before it is named @<stamp>.s, as with multilog's
// fsync then rename; a rotated file is @<stamp>.u until then. The fsyncs
// are batched off the intake path (finisher): every file waiting is taken
// at once, pruning runs first (a file it deletes is never synced, and its
// bytes need never reach the disk), the rest are written back together and
// fsynced, then all renamed .s, then the logdir is fsynced once. Input waits
// only when queueLen files (16, or 16 MB of small ones) wait already.
package rotate
