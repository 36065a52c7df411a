package rotate

import (
	"io/fs"
	"os"
	"slices"
	"strings"
)

// The names of a logdir's files, as daemontools' multilog has them. They
// are the layout's one spelling: readers of a logdir (query, ship) use
// these and [Layout] rather than their own literals. Archives are named by
// [ArchiveName] and read by [ParseArchiveName].
const (
	Current   = "current"   // the file being written
	Previous  = "previous"  // current, handed to the processor
	Processed = "processed" // the processor's output, an archive once finished
	NewState  = "newstate"  // the processor's state for the next run
	State     = "state"     // the processor's state from the last run
	Lock      = "lock"      // flock(2)ed by the multilog that owns the logdir
)

// finishedBit is the mode bit multilog sets on a file once it is whole:
// processed once the processor exited 0 and its output was fsynced,
// current when multilog exited cleanly (so the next start appends to it).
const finishedBit = 0o100

// Finished reports whether mode, the mode of processed (or of current),
// says the file is whole: multilog sets the owner's x bit on processed
// after the processor succeeded and the file was fsynced, and on current
// when it exits cleanly. Until then processed is the processor's
// unfinished output, and its lines are still in previous.
func Finished(mode fs.FileMode) bool { return mode&finishedBit != 0 }

// FinishedMode is [Finished] for a raw st_mode, as stat(2) returns it.
func FinishedMode(mode uint32) bool { return mode&finishedBit != 0 }

// FileKind says what a file of a logdir is. The kinds are in the order
// their lines were written: archives (oldest first), previous, processed,
// current.
type FileKind uint8

const (
	KindArchive FileKind = iota
	KindPrevious
	KindProcessed
	KindCurrent
)

// File is a file of a logdir that may hold lines: Name is its name; the
// rest of Archive is set for Kind == KindArchive only.
type File struct {
	Archive
	Kind FileKind
}

// Twin reports whether f and g are the same archive stored twice: plain
// and compressed, as it is between the compressor's rename of its output
// and its unlink of the plain file. Their lines are the same.
func (f *File) Twin(g *File) bool {
	return f.Kind == KindArchive && g.Kind == KindArchive &&
		f.Archive.Stamp == g.Archive.Stamp && f.Archive.Code == g.Archive.Code
}

// Layout returns the files among names (the entries of a logdir) that may
// hold lines, in the order their lines were written: the archives oldest
// first, then previous, processed and current. Archive names sort in time
// order (fixed-width hex stamps, and our multilog names each after the
// last); an archive there both plain and compressed comes plain first
// (see [File.Twin]). Other names (lock, state, newstate, a compressor's
// temporary file, anything an operator left) are not listed.
func Layout(names []string) []File {
	out := make([]File, 0, len(names)) // one allocation: lock and state are few
	var prev, proc, cur bool
	for _, n := range names {
		switch n {
		case Current:
			cur = true
		case Previous:
			prev = true
		case Processed:
			proc = true
		default:
			if a, ok := ParseArchiveName(n); ok {
				out = append(out, File{Archive: a, Kind: KindArchive})
			}
		}
	}
	// "@x.s" < "@x.s.gz" < "@x.s.zst": plain before its compressed twins.
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	for _, k := range []struct {
		there bool
		name  string
		kind  FileKind
	}{{prev, Previous, KindPrevious}, {proc, Processed, KindProcessed}, {cur, Current, KindCurrent}} {
		if k.there {
			out = append(out, File{Archive: Archive{Name: k.name}, Kind: k.kind})
		}
	}
	return out
}

// List returns the files of logdir dir that may hold lines, as [Layout]
// orders them.
func List(dir string) ([]File, error) {
	names, err := readNames(dir)
	if err != nil {
		return nil, err
	}
	return Layout(names), nil
}

// readNames lists the names in directory dir.
func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}
