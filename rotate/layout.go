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

// Copy is one file of a listing as a reader found it, for [Unread].
type Copy struct {
	Kind     FileKind
	Open     bool   // the reader holds it open: its lines can be read
	Dev, Ino uint64 // its identity (fstat), when Open
}

// Unread reports which files of a listing (in [Layout] order, as a reader
// opened them) a reader must not read, so that each line is read once.
// unread[i] is true for:
//
//   - processed while previous is open too: multilog unlinks previous only
//     after processed is finished (steps 4 and 5 in the package doc), and
//     until then previous holds the lines;
//   - previous or processed when an archive is the same inode: multilog
//     links before it unlinks (step 6, and Open's recovery of previous), so
//     between the two calls, or after a crash there (state 9), one file has
//     two names.
//
// A file that is not Open is never read, and stays false. stat gives the
// identity of archive i when the reader did not open it (one before the
// range it reads); ok is false when it is gone. It is called only while
// previous or processed is open, at most once per archive.
func Unread(files []Copy, stat func(i int) (dev, ino uint64, ok bool)) []bool {
	unread := make([]bool, len(files))
	hasPrevious := false
	for _, c := range files {
		if c.Kind == KindPrevious && c.Open {
			hasPrevious = true
		}
	}
	// The archives' identities, filled in from stat as they are needed.
	type ident struct {
		dev, ino uint64
		known    bool
	}
	ids := make([]ident, len(files))
	asked := make([]bool, len(files))
	sameAsArchive := func(c Copy) bool {
		for i, a := range files {
			if a.Kind != KindArchive {
				continue
			}
			if a.Open {
				ids[i] = ident{a.Dev, a.Ino, true}
			} else if !asked[i] {
				asked[i] = true
				dev, ino, ok := stat(i)
				ids[i] = ident{dev, ino, ok}
			}
			if ids[i].known && ids[i].dev == c.Dev && ids[i].ino == c.Ino {
				return true
			}
		}
		return false
	}
	for i, c := range files {
		switch {
		case !c.Open:
		case c.Kind == KindProcessed && hasPrevious:
			unread[i] = true
		case c.Kind == KindPrevious || c.Kind == KindProcessed:
			unread[i] = sameAsArchive(c)
		}
	}
	return unread
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
