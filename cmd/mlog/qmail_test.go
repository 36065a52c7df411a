package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlog/mlog/internal/durable"
)

// qmailLogdir makes a logdir with one message's life on 2026-01-02 UTC.
func qmailLogdir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "send")
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "current"), []byte(
		"@4000000069579d7e000001f4 new msg 4194304\n"+
			"@4000000069579d7e000101f4 info msg 4194304: bytes 2391 from <alice@example.org> qp 4242 uid 89\n"+
			"@4000000069579d7f000001f4 starting delivery 1: msg 4194304 to remote bob@example.com\n"+
			"@4000000069579d81000001f4 delivery 1: success: 192.0.2.5_accepted_message./Remote_host_said:_250_ok/\n"+
			"@4000000069579d81000101f4 end msg 4194304\n"+
			"@4000000069579d82000001f4 what is this\n"), 0o644))
	return dir
}

func runQmailCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCmd(t, newQmailCmd(), args...)
}

func TestQmailStatsCmd(t *testing.T) {
	dir := qmailLogdir(t)
	code, out, errOut := runQmailCmd(t, "stats", "--json", dir)
	equal(t, code, 0, "exit code")
	equal(t, errOut, "", "stderr")
	var s map[string]any
	must(t, json.Unmarshal([]byte(out), &s))
	for k, v := range map[string]float64{"messages": 1, "success": 1, "bytes": 2391, "unknown_lines": 1, "ended": 1} {
		equal(t, s[k], any(v), k)
	}
	code, out, _ = runQmailCmd(t, "stats", dir)
	equal(t, code, 0, "exit code")
	if !strings.Contains(out, "messages") || !strings.Contains(out, "alice@example.org") {
		t.Errorf("stats table:\n%s", out)
	}
	code, _, errOut = runQmailCmd(t, "stats", "--since", "next tuesday", dir)
	equal(t, code, 100, "exit code of a bad time")
	if !strings.HasPrefix(errOut, "mlog qmail stats: usage: --since: ") {
		t.Errorf("stderr = %q", errOut)
	}
	code, _, _ = runQmailCmd(t, "stats", filepath.Join(dir, "missing"))
	equal(t, code, 111, "exit code of a missing logdir")
}

func TestQmailStatsCursorCmd(t *testing.T) {
	dir := qmailLogdir(t)
	cursor := filepath.Join(t.TempDir(), "cursor")
	code, out, _ := runQmailCmd(t, "stats", "--json", "--cursor", cursor, dir)
	equal(t, code, 0, "exit code")
	if !strings.Contains(out, `"messages": 1,`) {
		t.Errorf("first run:\n%s", out)
	}
	code, out, _ = runQmailCmd(t, "stats", "--json", "--cursor", cursor, dir)
	equal(t, code, 0, "exit code")
	if !strings.Contains(out, `"messages": 0,`) || !strings.Contains(out, `"lines": 0,`) {
		t.Errorf("second run read lines again:\n%s", out)
	}
}

// TestQmailCursorLocked: a run whose cursor another run holds (cron jobs
// that overlap) is refused, and leaves the cursor as it was, instead of
// counting the same lines twice.
func TestQmailCursorLocked(t *testing.T) {
	dir := qmailLogdir(t)
	cursor := filepath.Join(t.TempDir(), "cursor")
	unlock, err := durable.Lock(cursor)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runQmailCmd(t, "stats", "--json", "--cursor", cursor, dir)
	equal(t, code, 111, "exit code with the cursor locked")
	equal(t, out, "", "output with the cursor locked")
	if !strings.Contains(errOut, "unable to lock "+cursor+".lock") {
		t.Errorf("stderr %q, want unable to lock %s.lock", errOut, cursor)
	}
	unlock()
	code, out, _ = runQmailCmd(t, "stats", "--json", "--cursor", cursor, dir)
	equal(t, code, 0, "exit code once the lock is free")
	if !strings.Contains(out, `"messages": 1,`) {
		t.Errorf("the first run after the lock counted:\n%s", out)
	}
}

func TestQmailTraceCmd(t *testing.T) {
	dir := qmailLogdir(t)
	for _, args := range [][]string{{"4194304"}, {"qp", "4242"}, {"BOB@example.com"}} {
		code, out, errOut := runQmailCmd(t, append(append([]string{"trace"}, args...), dir)...)
		equal(t, code, 0, "exit code")
		equal(t, errOut, "", "stderr")
		if !strings.HasPrefix(out, "msg 4194304: from <alice@example.org> qp 4242 uid 89, 2391 bytes; in the queue 3s\n") ||
			!strings.Contains(out, "  delivery 1 to remote bob@example.com: success after 2s\n") ||
			!strings.Contains(out, "  2026-01-02 10:27:00.000000500 new msg 4194304\n") || strings.Contains(out, "what is this") {
			t.Errorf("trace %v:\n%s", args, out)
		}
	}
	code, _, errOut := runQmailCmd(t, "trace", "carol@example.org", dir)
	equal(t, code, 1, "exit code when nothing is found")
	equal(t, errOut, "mlog qmail trace: no message \"carol@example.org\" found\n", "stderr")
	code, _, _ = runQmailCmd(t, "trace", "qp", dir)
	equal(t, code, 100, "exit code of qp without a number")
}

func TestQmailStatsCumulativeCmd(t *testing.T) {
	dir := qmailLogdir(t)
	cursor := filepath.Join(t.TempDir(), "cursor")
	for range 2 {
		code, out, _ := runQmailCmd(t, "stats", "--json", "--cumulative", "--cursor", cursor, dir)
		equal(t, code, 0, "exit code")
		if !strings.Contains(out, `"messages": 1,`) || !strings.Contains(out, `"lines": 6,`) {
			t.Errorf("a cumulative run does not report everything so far:\n%s", out)
		}
	}
	code, _, errOut := runQmailCmd(t, "stats", "--cumulative", dir)
	equal(t, code, 100, "exit code of --cumulative without --cursor")
	equal(t, errOut, "mlog qmail stats: usage: --cumulative needs --cursor\n", "stderr")
}
