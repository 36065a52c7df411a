// Command mklogdir writes a big multilog logdir quickly and
// deterministically, for benchmarks: archives of about -size bytes cut at
// line ends as multilog cuts them, named by the stamp of their finish,
// then a current. Lines look like a qmail-smtpd log under tcpserver.
//
//	mklogdir -dir benchmarks/data/plain -days 30 -rate 30000
//	mklogdir -dir benchmarks/data/zstd -compress zstd
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/rotate/compress"
	"github.com/mlog/mlog/tai64"
)

func main() {
	dir := flag.String("dir", "", "logdir to create (must not exist)")
	days := flag.Int("days", 30, "days of log")
	rate := flag.Int("rate", 30000, "lines per hour, on average")
	size := flag.Int("size", 16777215, "archive size, as multilog's s")
	start := flag.Int64("start", 1767225600, "Unix time of the first line (default 2026-01-01 00:00 UTC)")
	comp := flag.String("compress", "none", "archive compression: none, gzip or zstd")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *dir == "" {
		fatal(fmt.Errorf("usage: mklogdir -dir DIR [flags]"))
	}
	var c rotate.Compression
	switch *comp {
	case "none":
	case "gzip":
		c = rotate.Gzip
	case "zstd":
		c = rotate.Zstd
	default:
		fatal(fmt.Errorf("unknown compression %q", *comp))
	}
	if err := os.Mkdir(*dir, 0o755); err != nil {
		fatal(err)
	}
	g := gen{r: rand.New(rand.NewPCG(*seed, 2)), usec: *start * 1e6, meanGap: 3600e6 / float64(*rate)}
	end := (*start + int64(*days)*86400) * 1e6

	type job struct {
		name string
		data []byte
	}
	jobs := make(chan job, 2)
	var wg sync.WaitGroup
	var errOnce sync.Once
	var firstErr error
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := write(filepath.Join(*dir, j.name), c, j.data); err != nil {
					errOnce.Do(func() { firstErr = err })
				}
			}
		}()
	}
	for {
		data := g.file(*size, end)
		if g.usec >= end {
			jobs <- job{rotate.Current, data}
			break
		}
		g.usec += int64(g.r.IntN(2000))
		name := rotate.ArchiveName(g.stamp(), 's') + c.Ext()
		jobs <- job{name, data}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		fatal(firstErr)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mklogdir: fatal:", err)
	os.Exit(111)
}

// write writes one file; "current" is never compressed.
func write(path string, c rotate.Compression, data []byte) error {
	if filepath.Base(path) == rotate.Current {
		c = rotate.None
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := compress.Copy(c, f, bytes.NewReader(data)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type gen struct {
	r       *rand.Rand
	usec    int64 // the clock, in microseconds since 1970
	meanGap float64
	pid     int
}

func (g *gen) stamp() tai64.Time {
	return tai64.FromUnix(g.usec/1e6, int32(g.usec%1e6*1000+500))
}

// file returns the lines of one archive: multilog's cut, the last newline
// within 2000 bytes of size.
func (g *gen) file(size int, end int64) []byte {
	b := make([]byte, 0, size+512)
	for len(b) < size-2000 && g.usec < end {
		n := len(b)
		b = g.line(b)
		if len(b) > size {
			b = b[:n]
			break
		}
	}
	return b
}

var hosts = []string{"mx.example.com", "mail.example.org", "smtp.example.net"}
var users = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"}

// line appends one stamped line.
func (g *gen) line(b []byte) []byte {
	g.usec += int64(g.r.ExpFloat64() * g.meanGap)
	b = g.stamp().Append(b)
	b = append(b, ' ')
	ip := func(b []byte) []byte {
		b = append(b, "203.0.113."...)
		return strconv.AppendInt(b, int64(g.r.IntN(254)+1), 10)
	}
	switch g.r.IntN(5) {
	case 0:
		b = append(b, "tcpserver: status: "...)
		b = strconv.AppendInt(b, int64(g.r.IntN(40)), 10)
		b = append(b, "/100"...)
	case 1:
		g.pid = 1000 + g.r.IntN(60000)
		b = append(b, "tcpserver: pid "...)
		b = strconv.AppendInt(b, int64(g.pid), 10)
		b = append(b, " from "...)
		b = ip(b)
	case 2:
		b = append(b, "tcpserver: ok "...)
		b = strconv.AppendInt(b, int64(g.pid), 10)
		b = append(b, ' ')
		b = append(b, hosts[g.r.IntN(len(hosts))]...)
		b = append(b, ":192.0.2.10:25 client.example.net:"...)
		b = ip(b)
		b = append(b, "::"...)
		b = strconv.AppendInt(b, int64(1024+g.r.IntN(60000)), 10)
	case 3:
		b = append(b, "qmail-smtpd: pid "...)
		b = strconv.AppendInt(b, int64(g.pid), 10)
		b = append(b, " from "...)
		b = ip(b)
		b = append(b, " to <"...)
		b = append(b, users[g.r.IntN(len(users))]...)
		b = append(b, "@example.com> from <list@lists.example.org> bytes "...)
		b = strconv.AppendInt(b, int64(g.r.IntN(100000)), 10)
		b = append(b, " helo <mail-out-"...)
		b = strconv.AppendInt(b, int64(10+g.r.IntN(90)), 10)
		b = append(b, ".client.example.net>"...)
	default:
		b = append(b, "tcpserver: end "...)
		b = strconv.AppendInt(b, int64(g.pid), 10)
		b = append(b, " status 0"...)
	}
	return append(b, '\n')
}
