package rotate

import (
	"sort"
	"strings"

	"github.com/mlog/mlog/tai64"
)

// Compression says how an archive's bytes are stored.
type Compression uint8

// The archive compressions. None is daemontools' plain file.
const (
	None Compression = iota
	Gzip
	Zstd
)

// Ext returns the suffix a compressed archive carries after ".s".
func (c Compression) Ext() string {
	switch c {
	case Gzip:
		return ".gz"
	case Zstd:
		return ".zst"
	}
	return ""
}

// String returns the compression's name as the script spells it.
func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "none"
}

// Archive is one finished or crashed log file in a logdir.
type Archive struct {
	Name        string      // the file name, e.g. "@4000000069235b1c2e8a7d4c.s.zst"
	Stamp       tai64.Time  // when the file was finished (when multilog archived it)
	Code        byte        // 's' safely written, 'u' unfinished (a crash left it)
	Compression Compression // how the bytes are stored
}

// archiveNameLen is the name of a plain archive: a TAI64N label, '.', code.
const archiveNameLen = tai64.LabelLen + 2

// ParseArchiveName reads an archive name as multilog writes it,
// "@<24 hex>.s" or ".u", or as mlog compresses it, "@<24 hex>.s.gz" or
// ".s.zst". Names of other shapes are not archives (though multilog's
// pruning still counts them; see [countsForPruning]).
func ParseArchiveName(name string) (Archive, bool) {
	if len(name) < archiveNameLen || name[tai64.LabelLen] != '.' {
		return Archive{}, false
	}
	for i := 1; i < tai64.LabelLen; i++ {
		if c := name[i]; c >= 'A' && c <= 'F' {
			return Archive{}, false // multilog writes lowercase only
		}
	}
	stamp, _, err := tai64.Parse([]byte(name[:tai64.LabelLen]))
	if err != nil {
		return Archive{}, false
	}
	a := Archive{Name: name, Stamp: stamp, Code: name[tai64.LabelLen+1]}
	if a.Code != 's' && a.Code != 'u' {
		return Archive{}, false
	}
	switch rest := name[archiveNameLen:]; rest {
	case "":
	case ".gz":
		a.Compression = Gzip
	case ".zst":
		a.Compression = Zstd
	default:
		return Archive{}, false
	}
	if a.Code == 'u' && a.Compression != None {
		return Archive{}, false
	}
	return a, true
}

// ArchiveName returns the name of a plain archive finished at stamp.
func ArchiveName(stamp tai64.Time, code byte) string {
	b := stamp.Append(make([]byte, 0, archiveNameLen))
	return string(append(b, '.', code))
}

// countsForPruning reports whether multilog's pruning counts the entry:
// any name that starts with '@' and is at least 25 bytes long (filesfit in
// multilog.c), whatever follows.
func countsForPruning[S string | []byte](name S) bool {
	return len(name) >= tai64.LabelLen && name[0] == '@'
}

// Archives lists the archives in logdir dir, oldest first (names sort in
// time order because the stamps are fixed-width hex).
func Archives(dir string) ([]Archive, error) {
	names, err := readNames(dir)
	if err != nil {
		return nil, err
	}
	var out []Archive
	for _, n := range names {
		if a, ok := ParseArchiveName(n); ok {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.Compare(out[i].Name, out[j].Name) < 0 })
	return out, nil
}

// archiveStep is how far an archive name is put after the newest one when
// the clock (or a stamp) says an earlier time: one microsecond, the
// resolution of multilog's labels, which read usec*1000+500 ns.
const archiveStep = 1000

// archiveStamp returns the stamp for a new archive's name: now, but never
// before last, the latest line stamp the file may hold, and always after
// newest, the newest archive name of the logdir. So a name bounds the
// stamps inside its file from above, and names sort in the order the files
// were written, whatever the clock did meanwhile. daemontools names by now
// alone; the two agree while the clock does not step back.
func archiveStamp(now, last, newest tai64.Time) tai64.Time {
	t := now
	if t.Before(last) {
		t = last
	}
	if !newest.Before(t) {
		t = newest
		t.Nsec += archiveStep
		if t.Nsec >= 1e9 {
			t.Sec++
			t.Nsec -= 1e9
		}
	}
	return t
}
