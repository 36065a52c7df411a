package supervise

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"

	"golang.org/x/sys/unix"
)

func mkfifo(t testing.TB, name string) {
	if err := unix.Mkfifo(name, 0600); err != nil {
		t.Fatal(err)
	}
}

func TestParseEnvFile(t *testing.T) {
	tests := []struct {
		in   string
		want EnvVar
	}{
		{"", EnvVar{Name: "X", Unset: true}},
		{"\n", EnvVar{Name: "X"}},
		{"value", EnvVar{Name: "X", Value: "value"}},
		{"value\n", EnvVar{Name: "X", Value: "value"}},
		{"first\nsecond\n", EnvVar{Name: "X", Value: "first"}},
		{"trail \t \t\nx", EnvVar{Name: "X", Value: "trail"}},
		{" lead", EnvVar{Name: "X", Value: " lead"}},
		{"a\x00b\x00", EnvVar{Name: "X", Value: "a\nb\n"}},
		{"a\x00 \t", EnvVar{Name: "X", Value: "a\n"}},
		{"a\r\n", EnvVar{Name: "X", Value: "a\r"}},
		{"   ", EnvVar{Name: "X"}},
	}
	for _, tc := range tests {
		if got := ParseEnvFile("X", []byte(tc.in)); got != tc.want {
			t.Errorf("ParseEnvFile(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

// FuzzParseEnvFile checks envdir's rules as properties: an empty file
// unsets; otherwise the value is the first line, trailing blanks and tabs
// removed, each NUL a newline, and nothing else changed.
func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"", "\n", "value\n", "first\nsecond\n", "trail \t \t\nx", "a\x00b\x00", "a\x00 \t", "a\r\n", "   "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := string(b)
		v := ParseEnvFile("X", b)
		if v.Name != "X" || v.Unset != (len(b) == 0) {
			t.Fatalf("ParseEnvFile(%q) = %+v", in, v)
		}
		if v.Unset {
			return
		}
		first, _, _ := strings.Cut(in, "\n")
		if strings.ContainsRune(v.Value, 0) || strings.HasSuffix(v.Value, " ") || strings.HasSuffix(v.Value, "\t") ||
			!strings.HasPrefix(strings.ReplaceAll(first, "\x00", "\n"), v.Value) ||
			strings.TrimRight(first[len(v.Value):], " \t") != "" {
			t.Fatalf("ParseEnvFile(%q) = %q", in, v.Value)
		}
	})
}

func TestSetEnv(t *testing.T) {
	env := []string{"A=1", "B=2", "A=3", "C"}
	tests := []struct {
		key, val string
		unset    bool
		want     string
	}{
		// pathexec swaps the last entry into the first match's place.
		{"A", "9", false, "C B=2 A=3 A=9"},
		{"A", "", true, "C B=2 A=3"},
		{"B", "", true, "A=1 C A=3"},
		{"D", "", false, "A=1 B=2 A=3 C D="},
		{"C", "x", false, "A=1 B=2 A=3 C C=x"},
	}
	for _, tc := range tests {
		got := strings.Join(SetEnv(env, tc.key, tc.val, tc.unset), " ")
		if got != tc.want {
			t.Errorf("SetEnv(%q, %q, %v) = %q, want %q", tc.key, tc.val, tc.unset, got, tc.want)
		}
	}
	if strings.Join(env, " ") != "A=1 B=2 A=3 C" {
		t.Errorf("SetEnv modified its input: %q", env)
	}
}

func TestSearchPath(t *testing.T) {
	tests := []struct {
		env  []string
		prog string
		want string
	}{
		{nil, "sh", "/bin/sh /usr/bin/sh"},
		{[]string{"PATH=/a::/b"}, "x", "/a/x ./x /b/x"},
		{[]string{"PATH="}, "x", "./x"},
		{[]string{"PATH=/a"}, "./run", "./run"},
		{[]string{"PATH=/a"}, "/bin/true", "/bin/true"},
	}
	for _, tc := range tests {
		if got := strings.Join(searchPath(tc.env, tc.prog), " "); got != tc.want {
			t.Errorf("searchPath(%q, %q) = %q, want %q", tc.env, tc.prog, got, tc.want)
		}
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	if p, err := LookPath([]string{"PATH=" + dir + ":/bin:/usr/bin"}, "sh"); err != nil || !strings.HasSuffix(p, "/sh") {
		t.Errorf("LookPath(sh) = %q, %v", p, err)
	}
	if _, err := LookPath([]string{"PATH=" + dir}, "sh"); err != syscall.ENOENT {
		t.Errorf("LookPath(sh) in empty dir error = %v, want ENOENT", err)
	}
}

func TestFindAccount(t *testing.T) {
	passwd := "root:x:0:0:root:/root:/bin/bash\n" +
		"broken line\n" +
		"bad:x:abc:1::/:\n" +
		"qmaill:x:1001:1002:qmail log:/var/qmail:/bin/false\n" +
		"nolf:x:7:8::/:"
	tests := []struct {
		name  string
		want  Account
		found bool
	}{
		{"root", Account{"root", 0, 0}, true},
		{"qmaill", Account{"qmaill", 1001, 1002}, true},
		{"nolf", Account{"nolf", 7, 8}, true},
		{"bad", Account{}, false},
		{"qmail", Account{}, false},
		{"broken line", Account{}, false},
	}
	for _, tc := range tests {
		for _, r := range []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }, iotest.OneByteReader, iotest.HalfReader} {
			got, found, err := findAccount(r(strings.NewReader(passwd)), tc.name)
			if err != nil || found != tc.found || got != tc.want {
				t.Errorf("findAccount(%q) = %+v, %v, %v, want %+v, %v", tc.name, got, found, err, tc.want, tc.found)
			}
		}
	}
}

func TestLookupAccountUnknown(t *testing.T) {
	if _, err := LookupAccount("no-such-account-mlog"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("LookupAccount(unknown) error = %v, want ErrUnknownAccount", err)
	}
	if a, err := LookupAccount("root"); err != nil || a.UID != 0 {
		t.Errorf("LookupAccount(root) = %+v, %v", a, err)
	}
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		opt  byte
		arg  string
		want []Limit
		err  bool
	}{
		{'o', "50", []Limit{{Resource: unix.RLIMIT_NOFILE, Value: 50}}, false},
		{'o', "=", []Limit{{Resource: unix.RLIMIT_NOFILE, Hard: true}}, false},
		{'t', "", []Limit{{Resource: unix.RLIMIT_CPU}}, false},
		{'m', "1000", []Limit{{unix.RLIMIT_DATA, false, 1000}, {unix.RLIMIT_STACK, false, 1000}, {unix.RLIMIT_MEMLOCK, false, 1000}, {unix.RLIMIT_AS, false, 1000}}, false},
		{'a', "18446744073709551616", []Limit{{Resource: unix.RLIMIT_AS, Value: 0}}, false}, // wraps, as scan_ulong does
		{'d', "12k", nil, true},
		{'d', "unlimited", nil, true},
		{'d', "-1", nil, true},
		{'z', "1", nil, true},
	}
	for _, tc := range tests {
		got, err := ParseLimit(tc.opt, tc.arg)
		if (err != nil) != tc.err || len(got) != len(tc.want) {
			t.Errorf("ParseLimit(%c, %q) = %+v, %v, want %+v (err %v)", tc.opt, tc.arg, got, err, tc.want, tc.err)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ParseLimit(%c, %q)[%d] = %+v, want %+v", tc.opt, tc.arg, i, got[i], tc.want[i])
			}
		}
	}
}

// scrollRef is readproctitle.c's loop, one byte at a time.
func scrollRef(title []byte, in []byte) {
	n := len(title)
	for _, ch := range in {
		if ch != 0 {
			for i := 4; i < n; i++ {
				title[i-1] = title[i]
			}
			title[n-1] = ch
		}
	}
}

func TestProcTitle(t *testing.T) {
	inputs := []string{"", "x", "hello\n", "a\x00b\x00c", "svscan: warning: unable to stat foo: file does not exist\n", strings.Repeat("0123456789", 100)}
	for _, size := range []int{5, 6, 12, 40, 400} {
		for _, in := range inputs {
			readers := map[string]func(io.Reader) io.Reader{
				"plain": func(r io.Reader) io.Reader { return r },
				"one":   iotest.OneByteReader,
				"half":  iotest.HalfReader,
			}
			for rname, r := range readers {
				title := []byte("abc" + strings.Repeat(".", size-3))
				want := bytes.Clone(title)
				scrollRef(want, []byte(in))
				if err := ProcTitle(r(strings.NewReader(in)), title); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(title, want) {
					t.Errorf("ProcTitle(%q, %d, %s) = %q, want %q", in, size, rname, title, want)
				}
			}
		}
	}
	if err := ProcTitle(strings.NewReader("x"), []byte("abcd")); err != ErrShortTitle {
		t.Errorf("ProcTitle with 4 bytes error = %v, want ErrShortTitle", err)
	}
	e := errors.New("boom")
	if err := ProcTitle(iotest.ErrReader(e), []byte("abcde")); err != e {
		t.Errorf("ProcTitle error = %v, want %v", err, e)
	}
}

func FuzzProcTitle(f *testing.F) {
	f.Add([]byte("hello\x00world"), 8)
	f.Fuzz(func(t *testing.T, in []byte, size int) {
		if size < TitleMin || size > 1000 {
			return
		}
		title := bytes.Repeat([]byte{'.'}, size)
		want := bytes.Clone(title)
		scrollRef(want, bytes.Clone(in))
		if err := ProcTitle(bytes.NewReader(in), title); err != nil || !bytes.Equal(title, want) {
			t.Fatalf("ProcTitle(%q, %d) = %q, %v, want %q", in, size, title, err, want)
		}
	})
}
