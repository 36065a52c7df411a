package qmail

// Kind is what a log line says.
type Kind uint8

// The kinds of lines [Parse] recognises.
const (
	Unknown       Kind = iota // a line that is none of the others
	NewMsg                    // "new msg M"
	InfoMsg                   // "info msg M: bytes B from <S> qp Q uid U"
	StartDelivery             // "starting delivery D: msg M to local|remote R"
	DeliveryDone              // "delivery D: success|failure|deferral: REASON"
	BounceMsg                 // "bounce msg M qp Q"
	TripleBounce              // "triple bounce: discarding bounce/M"
	EndMsg                    // "end msg M"
	Status                    // "status: local l/L remote r/R"
	Exiting                   // "status: exiting"
	SendNote                  // qmail-send's "warning: ..." and "alert: ..."
	TCPStatus                 // "tcpserver: status: n/N"
	TCPPid                    // "tcpserver: pid P from IP"
	TCPOk                     // "tcpserver: ok P LOCAL REMOTE"
	TCPDeny                   // "tcpserver: deny P LOCAL REMOTE"
	TCPEnd                    // "tcpserver: end P status S"
	RBL                       // "rblsmtpd: IP pid P: MESSAGE"
	numKinds
)

// Result is the outcome of one delivery attempt.
type Result uint8

// The results qmail-send logs.
const (
	Success Result = iota
	Failure
	Deferral
	numResults
)

var resultNames = [numResults]string{"success", "failure", "deferral"}

// String returns the word qmail-send logs for r.
func (r Result) String() string { return resultNames[r] }

// Line is one parsed line. Its slices alias the text given to [Parse] and
// are valid as long as that text is.
type Line struct {
	Kind     Kind
	Msg      uint64 // message id (an inode number: reused)
	Delivery uint64 // delivery number (reused after a restart)
	Bytes    uint64
	Qp, Uid  uint64
	Pid      uint64 // tcpserver's and rblsmtpd's child pid
	Remote   bool   // the delivery's channel
	Result   Result
	N, Max   int // Status: local; TCPStatus: connections
	N2, Max2 int // Status: remote
	Addr     []byte
	Reason   []byte
	Host     []byte // TCPPid, TCPOk, TCPDeny, RBL: the client's address
}

// Parse reads the text of a log line after its stamp into l, and returns
// l.Kind. It does no allocation.
func Parse(b []byte, l *Line) Kind {
	*l = Line{}
	l.Kind = parse(b, l)
	return l.Kind
}

func parse(b []byte, l *Line) Kind {
	if len(b) < 7 {
		return Unknown
	}
	s := scan{b: b, ok: true}
	switch b[0] {
	case 'n':
		s.lit("new msg ")
		if l.Msg = s.num(); s.end() {
			return NewMsg
		}
	case 'i':
		s.lit("info msg ")
		l.Msg = s.num()
		s.lit(": bytes ")
		l.Bytes = s.num()
		s.lit(" from <")
		l.Addr = s.upToLast("> qp ")
		l.Qp = s.num()
		s.lit(" uid ")
		if l.Uid = s.num(); s.end() {
			return InfoMsg
		}
	case 's':
		if b[1] == 't' && b[2] == 'a' && b[3] == 'r' {
			s.lit("starting delivery ")
			l.Delivery = s.num()
			s.lit(": msg ")
			l.Msg = s.num()
			if r, ok := cut(s.b, " to remote "); s.ok && ok {
				l.Remote, l.Addr = true, r
				return StartDelivery
			}
			if r, ok := cut(s.b, " to local "); s.ok && ok {
				l.Addr = r
				return StartDelivery
			}
			return Unknown
		}
		s.lit("status: ")
		if s.ok && string(s.b) == "exiting" {
			return Exiting
		}
		s.lit("local ")
		l.N, l.Max = s.fraction()
		s.lit(" remote ")
		if l.N2, l.Max2 = s.fraction(); s.end() {
			return Status
		}
	case 'd':
		s.lit("delivery ")
		l.Delivery = s.num()
		s.lit(": ")
		if !s.ok {
			return Unknown
		}
		b = s.b
		switch {
		case hasPrefix(b, "success: "):
			l.Result, l.Reason = Success, b[9:]
		case hasPrefix(b, "failure: "):
			l.Result, l.Reason = Failure, b[9:]
		case hasPrefix(b, "deferral: "):
			l.Result, l.Reason = Deferral, b[10:]
		default:
			return Unknown
		}
		return DeliveryDone
	case 'b':
		s.lit("bounce msg ")
		l.Msg = s.num()
		s.lit(" qp ")
		if l.Qp = s.num(); s.end() {
			return BounceMsg
		}
	case 't':
		if r, ok := cut(b, "triple bounce: discarding bounce/"); ok {
			s.b = r
			if l.Msg = s.num(); s.end() {
				return TripleBounce
			}
			return Unknown
		}
		if r, ok := cut(b, "tcpserver: "); ok {
			return parseTCP(r, l)
		}
	case 'e':
		s.lit("end msg ")
		if l.Msg = s.num(); s.end() {
			return EndMsg
		}
	case 'w', 'a':
		if hasPrefix(b, "warning: ") || hasPrefix(b, "alert: ") {
			l.Reason = b
			return SendNote
		}
	case 'r':
		s.lit("rblsmtpd: ")
		l.Host = s.upTo(" pid ")
		l.Pid = s.num()
		s.lit(": ")
		if s.ok {
			l.Reason = s.b
			return RBL
		}
	}
	return Unknown
}

// parseTCP reads a tcpserver line after "tcpserver: ".
func parseTCP(b []byte, l *Line) Kind {
	s := scan{b: b, ok: true}
	switch {
	case hasPrefix(b, "status: "):
		s.lit("status: ")
		if l.N, l.Max = s.fraction(); s.end() {
			return TCPStatus
		}
	case hasPrefix(b, "pid "):
		s.lit("pid ")
		l.Pid = s.num()
		s.lit(" from ")
		if s.ok {
			l.Host = s.b
			return TCPPid
		}
	case hasPrefix(b, "ok "), hasPrefix(b, "deny "):
		k := TCPOk
		if b[0] == 'd' {
			k, s.b = TCPDeny, b[5:]
		} else {
			s.b = b[3:]
		}
		l.Pid = s.num()
		// " LOCALHOST:LOCALIP:LOCALPORT REMOTEHOST:REMOTEIP:REMOTEINFO:REMOTEPORT"
		s.lit(" ")
		s.upTo(" ")
		if s.ok {
			l.Host = remoteIP(s.b)
			return k
		}
	case hasPrefix(b, "end "):
		s.lit("end ")
		l.Pid = s.num()
		s.lit(" status ")
		if st := s.num(); s.end() {
			l.N2 = int(st)
			return TCPEnd
		}
	}
	return Unknown
}

// scan reads a line's parts in turn. Once a part is not there, ok is
// false and the rest read nothing: a kind's parse is its parts in a row
// and one test at the end.
type scan struct {
	b  []byte // what is left
	ok bool
}

// lit reads p.
func (s *scan) lit(p string) {
	if s.ok {
		s.b, s.ok = cut(s.b, p)
	}
}

// num reads a decimal number.
func (s *scan) num() uint64 {
	if !s.ok {
		return 0
	}
	var n uint64
	n, s.b, s.ok = num(s.b)
	return n
}

// fraction reads "n/N".
func (s *scan) fraction() (int, int) {
	if !s.ok {
		return 0, 0
	}
	var n, m int
	n, m, s.b, s.ok = fraction(s.b)
	return n, m
}

// upTo returns the text before the first sep and reads both.
func (s *scan) upTo(sep string) []byte {
	return s.split(sep, index)
}

// upToLast returns the text before the last sep and reads both.
func (s *scan) upToLast(sep string) []byte {
	return s.split(sep, lastIndex)
}

func (s *scan) split(sep string, find func([]byte, string) int) []byte {
	if !s.ok {
		return nil
	}
	i := find(s.b, sep)
	if i < 0 {
		s.ok = false
		return nil
	}
	t := s.b[:i]
	s.b = s.b[i+len(sep):]
	return t
}

// end reports whether all parts were there and nothing is left.
func (s *scan) end() bool { return s.ok && len(s.b) == 0 }

// remoteIP returns the second field of tcpserver's "HOST:IP:INFO:PORT".
func remoteIP(b []byte) []byte {
	i := index(b, ":")
	if i < 0 {
		return b
	}
	b = b[i+1:]
	if j := index(b, ":"); j >= 0 {
		return b[:j]
	}
	return b
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

func cut(b []byte, p string) ([]byte, bool) {
	if hasPrefix(b, p) {
		return b[len(p):], true
	}
	return b, false
}

func index(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

func lastIndex(b []byte, s string) int {
	for i := len(b) - len(s); i >= 0; i-- {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// num reads a decimal number of at most 19 digits.
func num(b []byte) (uint64, []byte, bool) {
	var n uint64
	i := 0
	for i < len(b) && i < 19 && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + uint64(b[i]-'0')
		i++
	}
	if i == 0 || i < len(b) && b[i] >= '0' && b[i] <= '9' {
		return 0, b, false
	}
	return n, b[i:], true
}

// fraction reads "n/N".
func fraction(b []byte) (int, int, []byte, bool) {
	n, b, ok := num(b)
	if !ok || len(b) == 0 || b[0] != '/' {
		return 0, 0, b, false
	}
	m, b, ok := num(b[1:])
	if !ok || n > 1<<31 || m > 1<<31 {
		return 0, 0, b, false
	}
	return int(n), int(m), b, true
}
