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

// File compresses the file src into a new file dst (mode 0600, replaced if
// present) with c, and fsyncs dst before returning.
func File(c rotate.Compression, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0600)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	if err = Copy(c, bw, in); err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
	}
	return err
}
