package compat

import (
	"bytes"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"

	"github.com/mlog/mlog/tai64"
)

// taiEnv returns a getenv for the given variables.
func taiEnv(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

func TestTai64nlocalErrors(t *testing.T) {
	var out, errb bytes.Buffer
	tool := &Tool{Name: "tai64nlocal", Stdin: iotest.ErrReader(syscall.EIO), Stdout: &out, Stderr: &errb, Getenv: taiEnv("TZ", "UTC")}
	if code := tai64nlocalMain(tool, []string{"ignored"}); code != ExitTemporary {
		t.Errorf("read error: exit %d, want %d", code, ExitTemporary)
	}
	if want := "tai64nlocal: fatal: unable to read input: input/output error\n"; errb.String() != want {
		t.Errorf("read error: stderr %q, want %q", errb.String(), want)
	}
}

// taiLookup returns a lookupEnv for the given variables: the others are
// unset.
func taiLookup(kv ...string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1], true
			}
		}
		return "", false
	}
}

// zoneinfoDir is where the zone files are.
const zoneinfoDir = tai64.DefaultZoneDir

// taiLabel returns a daemontools label for Unix seconds sec.
func taiLabel(sec int64, nsec int32) string { return tai64.FromUnix(sec, nsec).String() }

// tai64nlocalLines are crafted lines for the differential test: labels of
// every length, case and range, and lines that are not labels. The real
// tai64nlocal crashes on some; ours must then copy them unchanged.
func tai64nlocalLines() []string {
	lines := []string{
		"@4000000037c219bf2ef02e94 hello",
		"@4000000037c219bf2ef02e94x",
		"@4000000037c219bf2ef02e94",
		"@400000006b04c72d125438fc",
		"@4000000037c219bfffffffff nanoseconds overflow",
		"@3fffffffffffffff00000000 before 1970",
		"@ffff4000000037c219bf2ef02e94 28 digits",
		"@00004000000037c219bf2ef02e94 leading zeros",
		"@4000000037c219bf2ef02e9411 26 digits",
		"@4000000037c219bf TAI64",
		"@400000006B04C72D125438FC uppercase",
		"@400000006b04c72D125438fc mixed case",
		"@xyz",
		"@",
		"@@4000000037c219bf2ef02e94",
		" @4000000037c219bf2ef02e94 leading space",
		"no label",
		"",
		"@4000000037c219bf2ef02e94\x00NUL",
		"\x00@4000000037c219bf2ef02e94",
		"@4000000037c219bf2ef02e94\r",
		"@4000000037c219bf2ef02e94\t tab",
		"@4000000037c219bf2ef02e94@4000000037c219bf2ef02e94",
		"@ffffffffffffffffffffffffff",
		"@4000000037c219bf2ef02e94 " + strings.Repeat("long line ", 7000),
		strings.Repeat("no label, long ", 5000),
	}
	for _, sec := range []int64{
		0, -1, 1, 1 << 31, -1 << 31, 253402300799, 253402300800, -62135596800, -62135596801, -62167219201,
		67768036191676799, 67768036191676800, 67768036191676799 - 9*3600, 67768036191676800 + 8*3600,
		-67768040609740800, -67768040609740801, -67768040609740800 + 9*3600, -67768040609740800 - 8*3600,
		1 << 62, -1 << 62,
		// DST transitions in Los Angeles and Paris, and the leap seconds.
		1710064799, 1710064800, 1730624399, 1730624400, 1711846799, 1711846800,
		78796799, 78796800, 1483228799, 1483228800, 1483228826, 1483228827,
	} {
		lines = append(lines, taiLabel(sec, 500)+" crafted")
	}
	return lines
}

// tai64nlocalRandom returns n random lines: mostly labels, near now or
// anywhere in the range localtime can show, some of odd lengths or case.
func tai64nlocalRandom(rng *rand.Rand, n int) []string {
	const hex = "0123456789abcdef"
	lines := make([]string, n)
	for i := range lines {
		var sec int64
		switch rng.IntN(4) {
		case 0:
			sec = 1700000000 + rng.Int64N(400000000)
		case 1:
			sec = rng.Int64N(1<<40) - 1<<39
		case 2:
			sec = rng.Int64N(1<<57) - 1<<56
		default:
			sec = -2208988800 + rng.Int64N(4102444800+2208988800) // 1900-2100
		}
		l := taiLabel(sec, int32(rng.IntN(1e9)))
		switch rng.IntN(10) {
		case 0: // a random number of lowercase digits
			b := []byte{'@'}
			for range rng.IntN(30) {
				b = append(b, hex[rng.IntN(16)])
			}
			l = string(b)
		case 1:
			l = strings.ToUpper(l)
		case 2:
			l = "no label " + l
		}
		tail := []string{" msg", "x", "", "\x00", " ", "\r"}[rng.IntN(6)]
		lines[i] = l + tail
	}
	return lines
}

// tai64nlocalZones are the TZ values the differential test runs under;
// "-" means TZ unset.
var tai64nlocalZones = []string{
	"UTC", "Asia/Tokyo", "America/Los_Angeles", "-",
	"Europe/Paris", "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns",
	":Asia/Tokyo", "/usr/share/zoneinfo/America/New_York", "JST-9", "<+0330>-3:30",
	"EST5EDT,M3.2.0,M11.1.0", "AEST-10AEDT,M10.1.0,M4.1.0/3",
	"CET-1CEST,M3.5.0,M10.5.0/3", "CET-1CEST", "EST5EDT,xyz", "EST5EDT,M3.2.0", "", ":", ":America/New_York",
	"AAA3BBB,J60/1,300/-2", "<+03>-3<+04>,M3.5.0/-2,M10.5.0/26", "Europe/Dublin", "America/Sao_Paulo",
	"Foo/Bar", "right/UTC", "right/Europe/Paris",
}

// TestTai64nlocalDiff runs daemontools' tai64nlocal and ours on the same
// lines, crafted and random, under several zones, and compares bytes.
// Where daemontools crashes (exit 139, output lost), ours must copy the
// line unchanged. Lines ours copies unchanged are run through daemontools
// one by one (all the crafted ones, a sample of the random ones), which
// must crash on them; the rest go through in one run, which must not.
func TestTai64nlocalDiff(t *testing.T) {
	real := taiReal(t, "/usr/bin/tai64nlocal")
	ours := taiOurs(t, "tai64nlocal")
	if _, err := os.Stat(zoneinfoDir + "/Asia/Tokyo"); err != nil {
		t.Skip("no zoneinfo:", err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tz := range tai64nlocalZones {
		env := []string{"TZ=" + tz}
		lookup := taiLookup("TZ", tz)
		if tz == "-" {
			if _, set := os.LookupEnv("TZ"); set {
				t.Log("TZ is set: skipping the TZ unset case")
				continue
			}
			env, lookup = []string{}, taiLookup()
		}
		t.Run(tz, func(t *testing.T) {
			crafted := tai64nlocalLines()
			lines := append(crafted, tai64nlocalRandom(rng, 3000)...)
			taiCompareLocal(t, env, real, ours, LocalConfig(lookup), lines, len(crafted))
			// The end of input: no newline after a label, after a line,
			// after a bare '@'.
			for _, in := range []string{"@4000000037c219bf2ef02e94", "a\n@4000000037c219bf2ef02e94 b", "a\n@", "@4000000037c219bf2ef02e94 ", "@4000000037c219bf2ef02e94\n@"} {
				want := taiRun(t, env, []byte(in), real)
				got := taiRun(t, env, []byte(in), ours)
				if !bytes.Equal(got.stdout, want.stdout) || got.code != want.code {
					t.Errorf("input %q: got %q, exit %d; daemontools %q, exit %d", in, got.stdout, got.code, want.stdout, want.code)
				}
			}
		})
	}
}

// taiCompareLocal compares both programs on lines, each given a newline;
// cfg is ours, to tell which lines it passes through. All passed-through
// lines among the first sure ones are checked against daemontools, and a
// sample of the others.
func taiCompareLocal(t *testing.T, env []string, real, ours string, cfg tai64.LocalConfig, lines []string, sure int) {
	t.Helper()
	in := []byte(strings.Join(lines, "\n") + "\n")
	got := taiRun(t, env, in, ours, "ignored")
	if got.code != 0 || len(got.stderr) != 0 {
		t.Fatalf("ours: exit %d, stderr %q", got.code, got.stderr)
	}
	g := strings.Split(string(got.stdout), "\n")
	if len(g) != len(lines)+1 {
		t.Fatalf("ours wrote %d lines for %d", len(g)-1, len(lines))
	}
	l := tai64.NewLocalizer(cfg)
	var convert []int // lines ours converts
	checked := 0
	for i, line := range lines {
		if conv := string(l.AppendLine(nil, []byte(line+"\n"))); conv != line+"\n" || line == "" || line[0] != '@' {
			convert = append(convert, i)
			continue
		}
		if i >= sure && checked >= 30 {
			continue
		}
		checked++
		w := taiRun(t, env, []byte(line+"\n"), real)
		if w.code != 139 && string(w.stdout) != line+"\n" {
			t.Errorf("%s: line %.100q: ours %.100q, daemontools %.100q (exit %d)", env, line, g[i], w.stdout, w.code)
		}
	}
	var batch []string
	for _, i := range convert {
		batch = append(batch, lines[i])
	}
	want := taiRun(t, env, []byte(strings.Join(batch, "\n")+"\n"), real, "ignored")
	if want.code != 0 {
		// Find the lines daemontools crashes on: ours should have copied
		// them.
		for _, i := range convert {
			if w := taiRun(t, env, []byte(lines[i]+"\n"), real); w.code != 0 {
				t.Errorf("%s: line %.100q: ours %.100q, daemontools exit %d", env, lines[i], g[i], w.code)
			}
		}
		return
	}
	w := strings.Split(string(want.stdout), "\n")
	for j, i := range convert {
		if g[i] != w[j] {
			t.Errorf("%s: line %.100q: got %.100q, daemontools %.100q", env, lines[i], g[i], w[j])
		}
	}
}

// TestTai64nlocalTAIDiff compares the TAI mode with s6-tai64nlocal, which
// reads labels as true TAI, on 24-digit lowercase labels (s6 reads exactly
// 24 digits, daemontools any number).
func TestTai64nlocalTAIDiff(t *testing.T) {
	real := taiReal(t, "/usr/bin/s6-tai64nlocal")
	rng := rand.New(rand.NewPCG(5, 6))
	var in []byte
	for _, sec := range []int64{78796799, 78796800, 78796801, 1483228826, 1483228827, 1483228828, 935467445, 0} {
		in = append(in, taiLabel(sec, 500)+" crafted\n"...)
	}
	for range 2000 {
		sec := 1 + rng.Int64N(4102444800) // 1970-2100
		in = append(in, taiLabel(sec, int32(rng.IntN(1e9)))+" random\n"...)
	}
	for _, tz := range []string{"UTC", "America/Los_Angeles", "Europe/Paris"} {
		zone := tai64.LoadZone(tai64.ZoneConfig{TZ: tz, TZSet: true})
		if zone.String() != tz {
			t.Fatalf("zone %s: loaded %s", tz, zone)
		}
		want := taiRun(t, []string{"TZ=" + tz}, in, real)
		var got bytes.Buffer
		if err := tai64.LocalLines(&got, bytes.NewReader(in), tai64.LocalConfig{Zone: zone, TAI: true}); err != nil {
			t.Fatal(err)
		}
		if want.code != 0 || !bytes.Equal(got.Bytes(), want.stdout) {
			g, w := strings.Split(got.String(), "\n"), strings.Split(string(want.stdout), "\n")
			for i := range min(len(g), len(w)) {
				if g[i] != w[i] {
					t.Errorf("TZ=%s: got %q, s6-tai64nlocal %q (exit %d)", tz, g[i], w[i], want.code)
					break
				}
			}
		}
	}
}
