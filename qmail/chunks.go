package qmail

// chunks hands byte chunks from one goroutine to another, in order, over a
// fixed set of buffers: the sender fills a chunk and trades it for an empty
// one (send), the receiver takes each full one and gives it back (each).
// qmail uses it twice: the lines from query to the joining (Read), and the
// top lists' keys to their counting (Collector.background).
type chunks struct {
	full, free chan []byte
}

// newChunks makes depth+2 buffers of capacity size, at most depth of them
// full and waiting at a time, and returns the first one to fill.
func newChunks(depth, size int) (*chunks, []byte) {
	c := &chunks{full: make(chan []byte, depth), free: make(chan []byte, depth+2)}
	for range depth + 1 {
		c.free <- make([]byte, 0, size)
	}
	return c, make([]byte, 0, size)
}

// send passes b on and returns an empty buffer, waiting for one if the
// receiver is behind.
func (c *chunks) send(b []byte) []byte {
	c.full <- b
	return <-c.free
}

// close passes the last chunk, b (if not empty), and ends each.
func (c *chunks) close(b []byte) {
	if len(b) > 0 {
		c.full <- b
	}
	close(c.full)
}

// each calls fn with every chunk sent, in order, until close.
func (c *chunks) each(fn func([]byte)) {
	for b := range c.full {
		fn(b)
		c.free <- b[:0]
	}
}
