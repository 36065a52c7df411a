// Package compress reads and writes the compressed archives of a logdir. It
// is kept apart from package rotate so that the multilog daemon does not
// link the compressors (they cost ~0.6 MB of resident memory at start); the
// compressing runs in a helper process (mlog compress) instead.
package compress

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/mlog/mlog/rotate"
)

// NewReader returns a reader of the plain bytes of an archive stored with c.
// Close releases the decoder; it does not close r.
func NewReader(c rotate.Compression, r io.Reader) (io.ReadCloser, error) {
	switch c {
	case rotate.None:
		return io.NopCloser(r), nil
	case rotate.Gzip:
		return gzip.NewReader(r)
	case rotate.Zstd:
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown compression %d", c)
}

// Copy compresses everything from src into dst with c.
func Copy(c rotate.Compression, dst io.Writer, src io.Reader) error {
	var w io.WriteCloser
	switch c {
	case rotate.Gzip:
		w = gzip.NewWriter(dst)
	case rotate.Zstd:
		z, err := zstd.NewWriter(dst, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return err
		}
		w = z
	default:
		_, err := io.Copy(dst, src)
		return err
	}
	if _, err := io.Copy(w, src); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// File compresses everything from src into dst with c and fsyncs dst
// before returning (when dst is a regular file: a pipe has nothing to
// sync). The caller opened both: this is the compressor helper's whole job,
// and it resolves no path in a logdir.
func File(c rotate.Compression, dst *os.File, src io.Reader) error {
	bw := bufio.NewWriterSize(dst, 256<<10)
	err := Copy(c, bw, src)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		if st, serr := dst.Stat(); serr == nil && st.Mode().IsRegular() {
			err = dst.Sync()
		}
	}
	return err
}
