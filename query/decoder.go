package query

import (
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/mlog/mlog/rotate"
)

// decoder decompresses archives, keeping one zstd and one gzip decoder per
// stream and resetting them for each file ("Allocation-less operation" in
// klauspost/compress's zstd README). rotate/compress.NewReader makes new
// ones on each call: a query that reads the heads of dozens of archives
// would allocate megabytes of window for each.
type decoder struct {
	z *zstd.Decoder
	g *gzip.Reader
}

// errEmptyArchive: a compressed archive of no bytes at all (a compressor
// killed before it wrote, a full disk) holds no lines, not zero of them:
// even an empty zstd or gzip stream has a header. plan reports it.
var errEmptyArchive = errors.New("empty file, not a compressed archive")

// reader returns the plain bytes of r stored with c, valid until the next
// call.
func (d *decoder) reader(c rotate.Compression, r io.Reader) (io.Reader, error) {
	switch c {
	case rotate.None:
		return r, nil
	case rotate.Zstd:
		return reuse(&d.z, r, func(r io.Reader) (*zstd.Decoder, error) {
			return zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		})
	case rotate.Gzip:
		return reuse(&d.g, r, gzip.NewReader)
	}
	return nil, fmt.Errorf("unknown compression %d", c)
}

// reuse returns *cur reset to read r, or, the first time, a new decoder
// made by mk and kept in *cur.
func reuse[D interface {
	comparable
	io.Reader
	Reset(io.Reader) error
}](cur *D, r io.Reader, mk func(io.Reader) (D, error)) (io.Reader, error) {
	var none D
	if *cur == none {
		d, err := mk(r)
		if err != nil {
			return nil, err
		}
		*cur = d
		return d, nil
	}
	if err := (*cur).Reset(r); err != nil {
		return nil, err
	}
	return *cur, nil
}

// close releases the decoders' memory and goroutines.
func (d *decoder) close() {
	if d.z != nil {
		d.z.Close()
		d.z = nil
	}
	if d.g != nil {
		d.g.Close()
		d.g = nil
	}
}
