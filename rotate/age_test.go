package rotate

import (
	"os"
	"testing"
	"time"
)

// TestAgeOfInheritedCurrent: a current that an earlier run finished
// cleanly (mode 744) and this run appends to is rotated by age, counted
// from this run's start; it was never rotated by age before (only its
// first byte started the clock), so a log restarted with svc -t kept
// growing one file until s.
func TestAgeOfInheritedCurrent(t *testing.T) {
	logdir := t.TempDir() + "/d"
	os.Mkdir(logdir, 0700)
	if err := os.WriteFile(logdir+"/current", []byte("old\n"), 0744); err != nil {
		t.Fatal(err)
	}
	os.Chmod(logdir+"/current", 0744)
	start := time.Now()
	d, err := Open(logdir, Config{Size: 99999, Num: 10, MaxAge: time.Hour, Now: func() time.Time { return start }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if due, at := d.Due(start.Add(time.Hour)); !due || !at.Equal(start.Add(time.Hour)) {
		t.Errorf("inherited current: due %v at %v, want due an hour after the start", due, at)
	}
	if due, _ := d.Due(start.Add(time.Minute)); due {
		t.Error("inherited current due after a minute, want an hour")
	}
}
