// Command ratelines writes numbered log lines at a steady rate, for load
// tests: "NAME line N ..." lines, RATE a second, in ten bursts a second,
// until it is told to stop (TERM or INT); then it writes how many lines it
// wrote to -count and exits. Every line is written whole, so a logger
// downstream can be checked line by line.
//
//	ratelines -rate 1000 -name smtpd -count /tmp/smtpd.count
package main

import (
	"bufio"
	"flag"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	rate := flag.Int("rate", 1000, "lines a second")
	name := flag.String("name", "svc", "the first word of every line")
	count := flag.String("count", "", "file to write the number of lines written to, at exit")
	flag.Parse()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	tick := time.NewTicker(100 * time.Millisecond)
	per := *rate / 10
	n := 0
	var line []byte
	for {
		select {
		case <-stop:
			w.Flush()
			if *count != "" {
				os.WriteFile(*count, []byte(strconv.Itoa(n)+"\n"), 0644)
			}
			return
		case <-tick.C:
			for i := 0; i < per; i++ {
				line = append(line[:0], *name...)
				line = append(line, " line "...)
				line = strconv.AppendInt(line, int64(n), 10)
				line = append(line, " status: local 1/10 remote 3/20 delivery success\n"...)
				w.Write(line)
				n++
			}
			if err := w.Flush(); err != nil {
				os.Exit(111)
			}
		}
	}
}
