package query_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mlog/mlog/query"
	"github.com/mlog/mlog/tai64"
)

// A logdir with one archive and current; the query asks for ten minutes
// in the middle and prints them in UTC.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "logdir")
	defer os.RemoveAll(dir)
	at := func(hhmm string) string {
		t, _ := time.Parse("2006-01-02 15:04", "2026-01-02 "+hhmm)
		return tai64.Stamp(t).String()
	}
	archive := at("14:00") + " tcpserver: status: 1/100\n" +
		at("14:05") + " tcpserver: pid 4711 from 192.0.2.7\n"
	current := at("14:15") + " tcpserver: end 4711 status 0\n" +
		at("14:20") + " tcpserver: status: 0/100\n"
	os.WriteFile(filepath.Join(dir, at("14:10")+".s"), []byte(archive), 0o744)
	os.WriteFile(filepath.Join(dir, "current"), []byte(current), 0o644)

	since, _ := query.ParseTime("2026-01-02T14:05:00Z", time.Now(), time.UTC)
	until, _ := query.ParseTime("2026-01-02T14:16:00Z", time.Now(), time.UTC)
	cfg := query.Config{Since: since, Until: until, Format: query.UTC, Match: query.MatchFixed([]string{"4711"}, false)}
	st, err := query.Run(context.Background(), cfg, []string{dir}, os.Stdout)
	fmt.Println(st.Matched, err)
	// Output:
	// 2026-01-02T14:05:00.000000500Z tcpserver: pid 4711 from 192.0.2.7
	// 2026-01-02T14:15:00.000000500Z tcpserver: end 4711 status 0
	// 2 <nil>
}
