package ship

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mlog/mlog/internal/testkit"
)

var frameTests = []struct {
	name string
	in   string
	txnr uint32
	cmd  string
	data string
	err  error
}{
	{"rsp", "12 rsp 6 200 OK\n", 12, "rsp", "200 OK", nil},
	{"no data", "3 rsp 0\n", 3, "rsp", "", nil},
	{"serverclose", "0 serverclose 0\n", 0, "serverclose", "", nil},
	{"open answer", "1 rsp 41 200 OK\nrelp_version=0\ncommands=syslog\nx=1\n", 1, "rsp", "200 OK\nrelp_version=0\ncommands=syslog\nx=1", nil},
	{"data with newlines and spaces", "7 syslog 5 a b\nc\n", 7, "syslog", "a b\nc", nil},
	{"nine digits", "999999999 rsp 6 200 OK\n", 999999999, "rsp", "200 OK", nil},
	{"ten digits", "1000000000 rsp 6 200 OK\n", 0, "", "", errFrame},
	{"no trailer", "1 rsp 6 200 OKx", 0, "", "", errFrame},
	{"short data", "1 rsp 6 200\n", 0, "", "", io.ErrUnexpectedEOF},
	{"bad txnr", "x rsp 0\n", 0, "", "", errFrame},
	{"bad command", "1 r-p 0\n", 0, "", "", errFrame},
	{"bad datalen", "1 rsp 6x200 OK\n", 0, "", "", errFrame},
	{"space after zero", "1 rsp 0 \n", 0, "", "", errFrame},
	{"data too long", "1 rsp 99999999 ", 0, "", "", errFrame},
	{"empty", "", 0, "", "", io.EOF},
	{"cut in the txnr", "12", 0, "", "", io.ErrUnexpectedEOF},
	{"cut in the command", "12 rs", 0, "", "", io.ErrUnexpectedEOF},
}

// TestFrameReader reads each frame whole and through readers that cut it
// anywhere, with several buffer sizes.
func TestFrameReader(t *testing.T) {
	for _, tc := range frameTests {
		for _, rd := range testkit.Readers {
			for _, size := range []int{16, 64, 4096} {
				r := bufio.NewReaderSize(rd.Wrap(strings.NewReader(tc.in)), size)
				fr := frameReader{r: r}
				txnr, cmd, data, err := fr.next()
				if !errors.Is(err, tc.err) {
					t.Errorf("%s, %s, %d: next(%q) error %v, want %v", tc.name, rd.Name, size, tc.in, err, tc.err)
					continue
				}
				if err == nil && (txnr != tc.txnr || string(cmd) != tc.cmd || string(data) != tc.data) {
					t.Errorf("%s, %s, %d: next(%q) = %d %q %q, want %d %q %q", tc.name, rd.Name, size, tc.in, txnr, cmd, data, tc.txnr, tc.cmd, tc.data)
				}
			}
		}
	}
}

func TestAppendFrame(t *testing.T) {
	tests := []struct {
		txnr uint32
		cmd  string
		data string
		want string
	}{
		{1, "open", relpOffers, "1 open 49 relp_version=0\nrelp_software=mlog\ncommands=syslog\n"},
		{2, "syslog", "<14>1 - - - - - - x", "2 syslog 19 <14>1 - - - - - - x\n"},
		{9, "close", "", "9 close 0\n"},
	}
	for _, tc := range tests {
		if got := string(appendFrame(nil, tc.txnr, tc.cmd, []byte(tc.data))); got != tc.want {
			t.Errorf("appendFrame(%d, %q, %q) = %q, want %q", tc.txnr, tc.cmd, tc.data, got, tc.want)
		}
	}
}

func TestRspOK(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"200 OK", true},
		{"200", true},
		{"200 OK\nrelp_version=0", true},
		{"250 fine", true},
		{"500 error", false},
		{"20", false},
		{"2000", false},
		{"", false},
		{"OK", false},
	}
	for _, tc := range tests {
		if got := rspOK([]byte(tc.in)); got != tc.want {
			t.Errorf("rspOK(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if !offersSyslog([]byte("200 OK\nrelp_version=0\nrelp_software=librelp,1.11.0\ncommands=syslog")) {
		t.Error("offersSyslog(librelp's answer) = false")
	}
	if offersSyslog([]byte("200 OK\nrelp_version=0\ncommands=")) {
		t.Error("offersSyslog(no commands) = true")
	}
}

// FuzzFrameReader reads arbitrary bytes as frames: no panic, and whatever
// it accepts, written again with appendFrame, reads back the same.
func FuzzFrameReader(f *testing.F) {
	for _, tc := range frameTests {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := frameReader{r: bufio.NewReaderSize(bytes.NewReader(in), 16)}
		for range 100 {
			txnr, cmd, data, err := fr.next()
			if err != nil {
				return
			}
			out := appendFrame(nil, txnr, string(cmd), data)
			fr2 := frameReader{r: bufio.NewReader(bytes.NewReader(out))}
			txnr2, cmd2, data2, err := fr2.next()
			if err != nil || txnr2 != txnr || !bytes.Equal(cmd2, cmd) || !bytes.Equal(data2, data) {
				t.Fatalf("frame %d %q %q written as %q reads back as %d %q %q, %v", txnr, cmd, data, out, txnr2, cmd2, data2, err)
			}
		}
	})
}

// FuzzParseDestination: no panic; what it accepts names its network and a
// host:port.
func FuzzParseDestination(f *testing.F) {
	for _, s := range []string{"relp://127.0.0.1:2514", "tcp://[::1]:514", "udp://h:1", "relp://h", "x://h:1/p"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, a, err := ParseDestination(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(s, n+"://") || a == "" {
			t.Fatalf("ParseDestination(%q) = %q, %q", s, n, a)
		}
	})
}
