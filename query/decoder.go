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
		if d.z == nil {
			z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
			if err != nil {
				return nil, err
			}
			d.z = z
			return z, nil
		}
		if err := d.z.Reset(r); err != nil {
			return nil, err
		}
		return d.z, nil
	case rotate.Gzip:
		if d.g == nil {
			g, err := gzip.NewReader(r)
			if err != nil {
				return nil, err
			}
			d.g = g
			return g, nil
		}
		if err := d.g.Reset(r); err != nil {
			return nil, err
		}
		return d.g, nil
	}
	return nil, fmt.Errorf("unknown compression %d", c)
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
