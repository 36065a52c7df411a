package tai64

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	_ "time/tzdata" // the zones below, where the system has none

	"github.com/mlog/mlog/internal/testkit"
)

// label returns the daemontools label of raw Unix seconds and nsec.
func label(raw int64, nsec int32) string { return FromUnix(raw, nsec).String() }

// mustLoad returns the zone TZ=name gives, which must be a zone file.
func mustLoad(t testing.TB, name string) *Zone {
	t.Helper()
	z := LoadZone(ZoneConfig{TZ: name, TZSet: true})
	if !z.file {
		t.Fatalf("no zone file for %s", name)
	}
	return z
}

// mustLocation returns the time package's zone called name, a reference.
func mustLocation(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// localTests were checked against daemontools 0.76 tai64nlocal (Debian
// 1:0.76-8.1) and, for TAI, s6-tai64nlocal 2.11. pass marks a line 0.76
// crashes on: we copy it unchanged.
type localTest struct {
	name   string
	zone   string // "" is UTC
	format Format
	tai    bool
	in     string
	want   string
}

var localTests = []localTest{
	{"doc example", "", FormatLocal, false, "@4000000037c219bf2ef02e94 hello\n", "1999-08-24 04:04:05.787492500 hello\n"},
	{"no space", "", FormatLocal, false, "@4000000037c219bf2ef02e94x\n", "1999-08-24 04:04:05.787492500x\n"},
	{"label only", "", FormatLocal, false, "@4000000037c219bf2ef02e94\n", "1999-08-24 04:04:05.787492500\n"},
	{"no newline", "", FormatLocal, false, "@4000000037c219bf2ef02e94 z", "1999-08-24 04:04:05.787492500 z"},
	{"label at end of input", "", FormatLocal, false, "@4000000037c219bf2ef02e94", ""},
	{"at alone at end of input", "", FormatLocal, false, "@", ""},
	{"plain", "", FormatLocal, false, "abc\n", "abc\n"},
	{"empty line", "", FormatLocal, false, "\n", "\n"},
	{"empty", "", FormatLocal, false, "", ""},
	{"leading space", "", FormatLocal, false, " @4000000037c219bf2ef02e94 x\n", " @4000000037c219bf2ef02e94 x\n"},
	{"pass uppercase", "", FormatLocal, false, "@400000006B04C72D125438FC q\n", "@400000006B04C72D125438FC q\n"},
	{"pass xyz", "", FormatLocal, false, "@xyz\n", "@xyz\n"},
	{"pass at newline", "", FormatLocal, false, "@\n", "@\n"},
	{"pass double at", "", FormatLocal, false, "@@4000000037c219bf2ef02e94\n", "@@4000000037c219bf2ef02e94\n"},
	{"pass TAI64", "", FormatLocal, false, "@4000000037c219bf x\n", "@4000000037c219bf x\n"},
	{"pass 26 digits", "", FormatLocal, false, "@4000000037c219bf2ef02e9411 x\n", "@4000000037c219bf2ef02e9411 x\n"},
	{"28 digits wrap", "", FormatLocal, false, "@ffff4000000037c219bf2ef02e94 x\n", "1999-08-24 04:04:05.787492500 x\n"},
	{"nanoseconds overflow", "", FormatLocal, false, "@4000000037c219bfffffffff\n", "1999-08-24 04:04:05.4294967295\n"},
	{"before 1970", "", FormatLocal, false, "@3fffffffffffffff00000000 x\n", "1969-12-31 23:59:49.000000000 x\n"},
	{"NUL ends label", "", FormatLocal, false, "@4000000037c219bf2ef02e94\x00\x00\n", "1999-08-24 04:04:05.787492500\x00\x00\n"},
	{"CR ends label", "", FormatLocal, false, "@4000000037c219bf2ef02e94\r\n", "1999-08-24 04:04:05.787492500\r\n"},
	{"last second", "", FormatLocal, false, label(67768036191676799, 0) + " x\n", "18446744071562069867-12-31 23:59:59.000000000 x\n"},
	{"pass after last second", "", FormatLocal, false, label(67768036191676800, 0) + " x\n", label(67768036191676800, 0) + " x\n"},
	{"first second", "", FormatLocal, false, label(-67768040609740800, 0) + " x\n", "18446744071562069868-01-01 00:00:00.000000000 x\n"},
	{"pass before first second", "", FormatLocal, false, label(-67768040609740801, 0) + " x\n", label(-67768040609740801, 0) + " x\n"},
	{"year 1", "", FormatLocal, false, label(-62135596800, 0) + " x\n", "1-01-01 00:00:00.000000000 x\n"},
	{"year 0", "", FormatLocal, false, label(-62135596801, 0) + " x\n", "0-12-31 23:59:59.000000000 x\n"},
	{"year -1", "", FormatLocal, false, label(-62167219201, 0) + " x\n", "18446744073709551615-12-31 23:59:59.000000000 x\n"},
	{"year -1200", "", FormatLocal, false, label(-100000000000, 0) + " x\n", "18446744073709550417-02-15 14:13:20.000000000 x\n"},
	{"pass wrapped", "", FormatLocal, false, "@ffffffffffffffffffffffffff\n", "@ffffffffffffffffffffffffff\n"},

	{"Tokyo", "Asia/Tokyo", FormatLocal, false, "@4000000037c219bf2ef02e94 x\n", "1999-08-24 13:04:05.787492500 x\n"},
	{"Tokyo pass last second", "Asia/Tokyo", FormatLocal, false, label(67768036191676799, 0) + " x\n", label(67768036191676799, 0) + " x\n"},
	{"Tokyo LMT", "Asia/Tokyo", FormatLocal, false, label(-67768040609740801, 0) + " x\n", "18446744071562069868-01-01 09:18:58.000000000 x\n"},
	{"Los Angeles", "America/Los_Angeles", FormatLocal, false, "@4000000037c219bf2ef02e94 x\n", "1999-08-23 21:04:05.787492500 x\n"},
	{"Los Angeles winter", "America/Los_Angeles", FormatLocal, false, label(1700000000, 500) + " x\n", "2023-11-14 14:13:20.000000500 x\n"},
	{"Los Angeles far future", "America/Los_Angeles", FormatLocal, false, label(67768036191676800, 0) + " x\n", "18446744071562069867-12-31 16:00:00.000000000 x\n"},
	{"Los Angeles pass first second", "America/Los_Angeles", FormatLocal, false, label(-67768040609740800, 0) + " x\n", label(-67768040609740800, 0) + " x\n"},

	{"rfc3339", "", FormatRFC3339, false, "@4000000037c219bf2ef02e94 hello\n", "1999-08-24T04:04:05.787492500Z hello\n"},
	{"rfc3339 Tokyo", "Asia/Tokyo", FormatRFC3339, false, "@4000000037c219bf2ef02e94 x\n", "1999-08-24T13:04:05.787492500+09:00 x\n"},
	{"rfc3339 Los Angeles", "America/Los_Angeles", FormatRFC3339, false, "@4000000037c219bf2ef02e94 x\n", "1999-08-23T21:04:05.787492500-07:00 x\n"},
	{"rfc3339 Kathmandu", "Asia/Kathmandu", FormatRFC3339, false, "@4000000037c219bf2ef02e94 x\n", "1999-08-24T09:49:05.787492500+05:45 x\n"},
	{"rfc3339 year 0", "", FormatRFC3339, false, label(-62135596801, 0) + " x\n", "0000-12-31T23:59:59.000000000Z x\n"},
	{"rfc3339 pass year -1", "", FormatRFC3339, false, label(-62167219201, 0) + " x\n", label(-62167219201, 0) + " x\n"},
	{"rfc3339 pass year 10000", "", FormatRFC3339, false, label(253402300800, 0) + " x\n", label(253402300800, 0) + " x\n"},
	{"rfc3339 pass nanoseconds", "", FormatRFC3339, false, "@4000000037c219bfffffffff\n", "@4000000037c219bfffffffff\n"},

	{"unix", "Asia/Tokyo", FormatUnix, false, "@4000000037c219bf2ef02e94 hello\n", "935467445.787492500 hello\n"},
	{"unix negative", "", FormatUnix, false, label(-11, 0) + " x\n", "-11.000000000 x\n"},
	{"unix negative fraction", "", FormatUnix, false, label(-11, 5) + " x\n", "-10.999999995 x\n"},
	{"unix minus zero", "", FormatUnix, false, label(-1, 5) + " x\n", "-0.999999995 x\n"},
	{"unix TAI", "", FormatUnix, true, "@40000000586846a500000000 x\n", "1483228800.000000000 x\n"},

	{"TAI doc example", "America/Los_Angeles", FormatLocal, true, "@4000000037c219bf2ef02e94 x\n", "1999-08-23 21:03:43.787492500 x\n"},
	{"TAI leap second", "", FormatLocal, true, "@4000000004b2580a00000000 x\n", "1972-06-30 23:59:60.000000000 x\n"},
	{"TAI after leap second", "", FormatLocal, true, "@4000000004b2580b00000000 x\n", "1972-07-01 00:00:00.000000000 x\n"},
	{"TAI last leap second", "", FormatLocal, true, "@40000000586846a400000000 x\n", "2016-12-31 23:59:60.000000000 x\n"},
	{"TAI leap second Paris", "Europe/Paris", FormatLocal, true, "@40000000586846a400000000 x\n", "2017-01-01 00:59:60.000000000 x\n"},
	{"TAI rfc3339 leap second", "", FormatRFC3339, true, "@40000000586846a400000000 x\n", "2016-12-31T23:59:60.000000000Z x\n"},
	{"TAI 2026", "", FormatLocal, true, "@400000006b04c72d125438fc x\n", "2026-11-23 23:06:48.307509500 x\n"},
}

func (tc localTest) config(t testing.TB) LocalConfig {
	cfg := LocalConfig{Format: tc.format, TAI: tc.tai}
	if tc.zone != "" {
		cfg.Zone = mustLoad(t, tc.zone)
	}
	return cfg
}

func TestAppendLine(t *testing.T) {
	for _, tc := range localTests {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLocalizer(tc.config(t))
			got := l.AppendLine([]byte("prefix:"), []byte(tc.in))
			if string(got) != "prefix:"+tc.want {
				t.Errorf("AppendLine(%q) = %q, want %q", tc.in, got[7:], tc.want)
			}
			// Again, from the caches.
			got = l.AppendLine(got[:0], []byte(tc.in))
			if string(got) != tc.want {
				t.Errorf("AppendLine(%q) the second time = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLocalLinesTable(t *testing.T) {
	for _, tc := range localTests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := LocalLines(&out, strings.NewReader(tc.in), tc.config(t)); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("LocalLines(%q) = %q, want %q", tc.in, out.String(), tc.want)
			}
		})
	}
}

func TestFormatNames(t *testing.T) {
	for _, f := range []Format{FormatLocal, FormatRFC3339, FormatUnix} {
		got, err := ParseFormat(f.String())
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v, want %v", f.String(), got, err, f)
		}
	}
	if _, err := ParseFormat("iso"); !errors.Is(err, ErrFormat) {
		t.Errorf("ParseFormat(iso) error = %v, want ErrFormat", err)
	}
	if got := Format(7).String(); got != "Format(7)" {
		t.Errorf("Format(7).String() = %q", got)
	}
}

func TestLocalUTCOverride(t *testing.T) {
	l := NewLocalizer(LocalConfig{Zone: mustLoad(t, "Asia/Tokyo"), UTC: true})
	got := l.AppendLine(nil, []byte("@4000000037c219bf2ef02e94 x\n"))
	if want := "1999-08-24 04:04:05.787492500 x\n"; string(got) != want {
		t.Errorf("UTC: got %q, want %q", got, want)
	}
}

// TestLocalZoneCache walks across a year of Los Angeles' transitions one
// hour at a time and checks each hour against the time package.
func TestLocalZoneCache(t *testing.T) {
	loc := mustLocation(t, "America/Los_Angeles")
	l := NewLocalizer(LocalConfig{Zone: mustLoad(t, "America/Los_Angeles")})
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	var got []byte
	for s := start; s < start+366*86400; s += 1799 {
		got = l.AppendLine(got[:0], []byte(label(s, 0)+" x"))
		want := time.Unix(s, 0).In(loc).Format("2006-01-02 15:04:05") + ".000000000 x"
		if string(got) != want {
			t.Fatalf("%d: got %q, want %q", s, got, want)
		}
	}
}

// streamTexts are inputs for the stream tests, long lines and labels
// longer than the small buffers included.
var streamTexts = []string{
	"",
	"\n",
	"@4000000037c219bf2ef02e94 hello\nabc\n@4000000037c219bf2ef02e94x\n",
	"@4000000037c219bf2ef02e94 hello\n@xyz\n@400000006B04 q\n@4000000037c219bf2ef02e94",
	"no newline at the end",
	"@4000000037c219bf2ef02e94 partial",
	"\n\n@\n@4000000037c219bf2ef02e94 \x00\x01\xff\n\x00@4000000037c219bf2ef02e94\n",
	"@" + strings.Repeat("0", 100) + "4000000037c219bf2ef02e94 long label\nafter\n",
	"@" + strings.Repeat("f", 100) + " long bad label\nafter\n",
	"@" + strings.Repeat("0", 100) + "4000000037c219bf2ef02e94",
	"@4000000037c219bf2ef02e94 " + strings.Repeat("long line ", 20) + "\n@4000000037c219bf2ef02e94 " + strings.Repeat("x", 200),
	strings.Repeat("@4000000037c219bf2ef02e94 a\n@4000000037c219c02ef02e94 bb\n", 50),
}

var bufSizes = []int{16, 17, 23, 31, 64, 100, 4096, 0}

// localReference converts text line by line with AppendLine.
func localReference(l *Localizer, text string) string {
	var out []byte
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n') + 1
		if i == 0 {
			i = len(text)
		}
		out = l.AppendLine(out, []byte(text[:i]))
		text = text[i:]
	}
	return string(out)
}

func TestLocalLinesChunks(t *testing.T) {
	for _, cfg := range []LocalConfig{{}, {Zone: mustLoad(t, "Asia/Tokyo"), Format: FormatRFC3339}} {
		for ti, text := range streamTexts {
			want := localReference(NewLocalizer(cfg), text)
			for _, rd := range testkit.Readers {
				for _, size := range bufSizes {
					cfg.bufSize = size
					var out bytes.Buffer
					err := LocalLines(&out, rd.Wrap(strings.NewReader(text)), cfg)
					if err != nil || out.String() != want {
						t.Errorf("text %d, %s reader, buffer %d: LocalLines(%q) = %q, %v, want %q", ti, rd.Name, size, text, out.String(), err, want)
					}
				}
			}
		}
	}
}

// TestLocalLinesLongLine has a line of 200 KiB, more than the default
// buffer, labelled and not.
func TestLocalLinesLongLine(t *testing.T) {
	long := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz", 200<<10/36)
	in := "@4000000037c219bf2ef02e94 " + long + "\n" + long + "\n@4000000037c219bf2ef02e94 end\n"
	want := "1999-08-24 04:04:05.787492500 " + long + "\n" + long + "\n1999-08-24 04:04:05.787492500 end\n"
	var out bytes.Buffer
	if err := LocalLines(&out, strings.NewReader(in), LocalConfig{}); err != nil {
		t.Fatal(err)
	}
	if out.String() != want {
		t.Errorf("long lines: got %d bytes, want %d", out.Len(), len(want))
	}
}

// flushCheck is a reader that, at each read after the first, checks that
// everything converted from the reads before has been written.
type flushCheck struct {
	t      *testing.T
	chunks []string
	out    *bytes.Buffer
	want   []string // want[i]: output before read i+1
	i      int
}

func (f *flushCheck) Read(b []byte) (int, error) {
	if f.i > 0 && f.out.String() != f.want[f.i-1] {
		f.t.Errorf("before read %d, output %q, want %q", f.i+1, f.out.String(), f.want[f.i-1])
	}
	if f.i == len(f.chunks) {
		return 0, io.EOF
	}
	n := copy(b, f.chunks[f.i])
	f.i++
	return n, nil
}

func TestLocalLinesFlushBeforeRead(t *testing.T) {
	var out bytes.Buffer
	r := &flushCheck{t: t, out: &out,
		chunks: []string{"@4000000037c219bf2ef02e94 a\nb", "c\n", "@4000000037c219bf2ef02e94 d\n"},
		want: []string{
			"1999-08-24 04:04:05.787492500 a\n",
			"1999-08-24 04:04:05.787492500 a\nbc\n",
			"1999-08-24 04:04:05.787492500 a\nbc\n1999-08-24 04:04:05.787492500 d\n",
		},
	}
	if err := LocalLines(&out, r, LocalConfig{}); err != nil {
		t.Fatal(err)
	}
	if out.String() != r.want[2] {
		t.Errorf("output %q, want %q", out.String(), r.want[2])
	}
}

// failWriter fails every write after n bytes.
type failWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failWriter) Write(b []byte) (int, error) {
	if len(b) > w.n {
		n := w.n
		w.n = 0
		return n, errDiskFull
	}
	w.n -= len(b)
	return len(b), nil
}

func TestLocalLinesErrors(t *testing.T) {
	errBroken := errors.New("broken")
	in := "@4000000037c219bf2ef02e94 a\nb\n"
	var out bytes.Buffer
	err := LocalLines(&out, io.MultiReader(strings.NewReader(in), iotest.ErrReader(errBroken)), LocalConfig{})
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "read" || pe.Path != "input" || !errors.Is(err, errBroken) {
		t.Errorf("read error: got %v, want read input: broken", err)
	}
	if want := "1999-08-24 04:04:05.787492500 a\nb\n"; out.String() != want {
		t.Errorf("before the read error: output %q, want %q", out.String(), want)
	}
	err = LocalLines(&failWriter{n: 10}, strings.NewReader(in), LocalConfig{})
	if !errors.As(err, &pe) || pe.Op != "write" || pe.Path != "output" || !errors.Is(err, errDiskFull) {
		t.Errorf("write error: got %v, want write output: disk full", err)
	}
}

// logText returns n lines of a stamped log, one second apart.
func logText(n int) []byte {
	var b []byte
	for i := range n {
		b = FromUnix(1700000000+int64(i), 123456500).Append(b)
		b = append(b, " info msg 123456: bytes 2391 from <alice@example.org> qp 4242 uid 89\n"...)
	}
	return b
}

func TestAppendLineAllocs(t *testing.T) {
	l := NewLocalizer(LocalConfig{Zone: mustLoad(t, "America/Los_Angeles")})
	in := bytes.SplitAfter(logText(100), []byte("\n"))
	out := make([]byte, 0, 1024)
	i := 0
	n := testing.AllocsPerRun(1000, func() {
		out = l.AppendLine(out[:0], in[i%100])
		i++
	})
	if n != 0 {
		t.Errorf("AppendLine: %v allocs per line, want 0", n)
	}
}

// TestLocalLinesAllocs checks that LocalLines allocates the same for 100
// lines and for 10000: nothing per line.
func TestLocalLinesAllocs(t *testing.T) {
	cfg := LocalConfig{Zone: mustLoad(t, "America/Los_Angeles")}
	checkAllocsPerLine(t, "LocalLines", func(w io.Writer, r io.Reader) error { return LocalLines(w, r, cfg) })
}

func TestHex8(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := range 8 {
			b := []byte("0123abcd")
			b[pos] = byte(c)
			got, ok := hex8(b)
			s, n, k := hexRun(b, 0, 0)
			wantOK := k == 8
			if ok != wantOK || ok && (got != n || s != 0) {
				t.Errorf("hex8(%q) = %#x, %v, want %#x, %v", b, got, ok, n, wantOK)
			}
		}
	}
	if got, ok := hex8([]byte("fedcba98")); !ok || got != 0xfedcba98 {
		t.Errorf("hex8(fedcba98) = %#x, %v", got, ok)
	}
}

func TestAppendNsec(t *testing.T) {
	for _, n := range []uint32{0, 1, 9, 10, 99, 100, 500, 12345678, 99999999, 100000000, 787492500, 999999999, 1000000000, 4294967295} {
		want := strconv.FormatUint(uint64(n), 10)
		for len(want) < 9 {
			want = "0" + want
		}
		if got := string(appendNsec([]byte("x"), n)); got != "x"+want {
			t.Errorf("appendNsec(%d) = %q, want %q", n, got, "x"+want)
		}
	}
	for n := uint32(0); n < 1e8; n += 997 {
		want := strconv.FormatUint(uint64(n)+1e8, 10)[1:]
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], digits8(n))
		if string(b[:]) != want {
			t.Fatalf("digits8(%d) = %q, want %q", n, b[:], want)
		}
	}
}
