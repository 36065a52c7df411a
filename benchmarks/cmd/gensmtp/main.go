// Command gensmtp writes a realistic, deterministic mail server log for
// benchmarks: qmail-smtpd under tcpserver (connection status, pid, ok, end,
// rblsmtpd rejections) interleaved with qmail-send (new msg, info msg,
// starting delivery, delivery results, status, bounces, end msg), as
// multilog would receive it. With -stamp every line starts with a TAI64N
// label and a space, as multilog's t or tai64n writes it: labels increase by
// a few milliseconds per line and their nanoseconds end in 500, as
// daemontools' do.
//
// The same flags always give the same bytes. It writes whole lines, at most
// -size bytes of them, at well over 500 MB/s.
//
// With -queue (implied by -ledger and -smtpd) the log follows qmail-send's
// rules instead (smtplog.Queue): every message gets its info, deliveries
// until success or failure, bounce and end; ids are reused; qmail-send
// restarts now and then. -ledger FILE writes the truth there, one JSON
// object per line (each message with its sender, recipients and every
// attempt's result and times; every other line's time and kind), for tests
// that check mlog qmail against it. -smtpd FILE writes tcpserver's and
// rblsmtpd's lines there instead of beside qmail-send's, as a real host
// logs them (qmail-smtpd's logdir and qmail's). -queue writes at least
// -size bytes (the last line may end past it).
//
//	gensmtp -size 256M -stamp > smtp.log
//	gensmtp -size 1G | multilog t s16777215 ./main
//	gensmtp -size 64M -stamp -ledger truth.json -smtpd smtpd.log -o send.log
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mlog/mlog/benchmarks/smtplog"
)

func main() {
	size := flag.String("size", "64M", "bytes to write: a number with an optional K, M or G suffix (powers of 1024)")
	stamp := flag.Bool("stamp", false, "start each line with a TAI64N label and a space")
	seed := flag.Uint64("seed", 1, "seed of the pseudo-random sequence")
	start := flag.String("start", "2024-03-01T00:00:00Z", "time of the first line (RFC 3339)")
	out := flag.String("o", "-", "output file (- for stdout)")
	queue := flag.Bool("queue", false, "follow qmail-send's rules (see the command's doc)")
	ledger := flag.String("ledger", "", "write the truth to `FILE` (implies -queue)")
	smtpd := flag.String("smtpd", "", "write tcpserver's lines to `FILE` (implies -queue)")
	flag.Parse()
	if flag.NArg() != 0 {
		fail(errors.New("usage: gensmtp [-size N] [-stamp] [-seed N] [-start TIME] [-o FILE]"))
	}
	n, err := parseSize(*size)
	if err != nil {
		fail(err)
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		fail(err)
	}
	w := io.Writer(os.Stdout)
	if *out != "-" {
		w = create(*out)
	}
	if *queue || *ledger != "" || *smtpd != "" {
		var led io.Writer
		if *ledger != "" {
			led = create(*ledger)
		}
		sw := w
		if *smtpd != "" {
			sw = create(*smtpd)
		}
		q := smtplog.NewQueue(*seed, t0, *stamp, led)
		if err := q.Write(w, sw, n); err != nil {
			fail(err)
		}
		if err := q.Close(); err != nil {
			fail(err)
		}
		return
	}
	g := smtplog.New(*seed, t0, *stamp)
	if err := g.Write(w, n); err != nil {
		fail(err)
	}
}

// create creates the file at path, or fails. The files are closed as the
// command exits: their writers are buffered and flushed before.
func create(path string) *os.File {
	f, err := os.Create(path)
	if err != nil {
		fail(err)
	}
	return f
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gensmtp: fatal:", err)
	os.Exit(111)
}

// parseSize reads "1048576", "64K", "256M" or "1G".
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("bad size " + strconv.Quote(s))
	}
	return n * mult, nil
}
