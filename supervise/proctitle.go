package supervise

import (
	"errors"
	"io"
)

// TitleMin is the shortest title buffer readproctitle accepts: three fixed
// bytes and room to scroll.
const TitleMin = 5

// ErrShortTitle reports a title buffer shorter than [TitleMin];
// readproctitle exits 100 for it.
var ErrShortTitle = errors.New("title too short")

// ProcTitle is readproctitle: it reads r to the end and scrolls every byte
// but NUL into title from the right, keeping title's first three bytes, so
// that the last len(title)-3 bytes read are shown. Given the memory of the
// process's last argument, ps then shows recent error output. It returns nil
// at end of input.
func ProcTitle(r io.Reader, title []byte) error {
	if len(title) < TitleMin {
		return ErrShortTitle
	}
	win := title[3:]
	var buf [512]byte
	for {
		n, err := r.Read(buf[:])
		if n > 0 {
			scroll(win, buf[:n])
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// scroll shifts the bytes of in other than NUL into win from the right, as
// readproctitle.c does one byte at a time.
func scroll(win, in []byte) {
	k := 0
	for _, c := range in {
		if c != 0 {
			in[k] = c
			k++
		}
	}
	in = in[:k]
	if len(in) >= len(win) {
		copy(win, in[len(in)-len(win):])
		return
	}
	copy(win, win[len(in):])
	copy(win[len(win)-len(in):], in)
}
