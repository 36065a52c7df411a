package rotate

import (
	"os"
	"time"
)

// Defaults and limits, as daemontools 0.76's multilog has them.
const (
	DefaultSize = 99999 // s when the script sets none
	DefaultNum  = 10    // n when the script sets none
	// cutWindow: once current is within this many bytes of the size limit,
	// multilog rotates after the next newline it writes (c_write).
	cutWindow = 2000
	// pauseDelay is how long multilog sleeps after a failed step before it
	// tries the same step again (deepsleep(5) in multilog.c).
	pauseDelay = 5 * time.Second
)

// Config is one logdir's settings. The zero value means daemontools'
// defaults, except Size and Num, whose zero values mean [DefaultSize] and
// [DefaultNum].
type Config struct {
	Size      int64  // rotate before current would pass this many bytes
	Num       int    // keep Num-1 archives (multilog's n counts current)
	Processor string // run by /bin/sh -c on each finished file; "" for none

	Compression Compression   // mlog: compress finished archives
	TotalSize   int64         // mlog: prune archives beyond this many bytes in all; 0 for no cap
	MaxAge      time.Duration // mlog: rotate a non-empty current this old; 0 for never

	// CompressCommand is the argv prefix of the compressor helper (mlog
	// compress); the method, source and destination names are appended
	// and it runs in the logdir. Required when Compression is set.
	CompressCommand []string

	// Stderr is given to processors and the compressor; nil means none.
	Stderr *os.File

	// Warn reports a failed step before the pause and retry; the error
	// reads well after "unable to " and before ", pausing".
	Warn func(error)
	// Sleep pauses after a failed step; nil means time.Sleep.
	Sleep func(time.Duration)
	// Now reads the clock for archive names; nil means time.Now.
	Now func() time.Time
}

func (c *Config) fill() {
	if c.Size <= 0 {
		c.Size = DefaultSize
	}
	if c.Num <= 0 {
		c.Num = DefaultNum
	}
	if c.Warn == nil {
		c.Warn = func(error) {}
	}
	if c.Sleep == nil {
		c.Sleep = time.Sleep
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}
