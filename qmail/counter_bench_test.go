package qmail

import (
	"strconv"
	"testing"
)

// BenchmarkCounterUnique: a key per connection, as the generator's SMTP
// clients are.
func BenchmarkCounterUnique(b *testing.B) {
	keys := make([][]byte, 1<<21)
	for i := range keys {
		keys[i] = []byte("10." + strconv.Itoa(i>>16) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255))
	}
	b.ReportAllocs()
	for b.Loop() {
		c := newCounter()
		for _, k := range keys {
			c.add(k, 1)
		}
	}
}
