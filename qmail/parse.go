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
	var ok bool
	switch b[0] {
	case 'n':
		if b, ok = cut(b, "new msg "); ok {
			if l.Msg, b, ok = num(b); ok && len(b) == 0 {
				return NewMsg
			}
		}
	case 'i':
		if b, ok = cut(b, "info msg "); !ok {
			return Unknown
		}
		if l.Msg, b, ok = num(b); !ok {
			return Unknown
		}
		if b, ok = cut(b, ": bytes "); !ok {
			return Unknown
		}
		if l.Bytes, b, ok = num(b); !ok {
			return Unknown
		}
		if b, ok = cut(b, " from <"); !ok {
			return Unknown
		}
		i := lastIndex(b, "> qp ")
		if i < 0 {
			return Unknown
		}
		l.Addr, b = b[:i], b[i+5:]
		if l.Qp, b, ok = num(b); !ok {
			return Unknown
		}
		if b, ok = cut(b, " uid "); !ok {
			return Unknown
		}
		if l.Uid, b, ok = num(b); ok && len(b) == 0 {
			return InfoMsg
		}
	case 's':
		if len(b) > 0 && b[1] == 't' && b[2] == 'a' && b[3] == 'r' {
			if b, ok = cut(b, "starting delivery "); !ok {
				return Unknown
			}
			if l.Delivery, b, ok = num(b); !ok {
				return Unknown
			}
			if b, ok = cut(b, ": msg "); !ok {
				return Unknown
			}
			if l.Msg, b, ok = num(b); !ok {
				return Unknown
			}
			if r, ok := cut(b, " to remote "); ok {
				l.Remote, l.Addr = true, r
				return StartDelivery
			}
			if r, ok := cut(b, " to local "); ok {
				l.Addr = r
				return StartDelivery
			}
			return Unknown
		}
		if b, ok = cut(b, "status: "); !ok {
			return Unknown
		}
		if string(b) == "exiting" {
			return Exiting
		}
		if b, ok = cut(b, "local "); !ok {
			return Unknown
		}
		if l.N, l.Max, b, ok = fraction(b); !ok {
			return Unknown
		}
		if b, ok = cut(b, " remote "); !ok {
			return Unknown
		}
		if l.N2, l.Max2, b, ok = fraction(b); ok && len(b) == 0 {
			return Status
		}
	case 'd':
		if b, ok = cut(b, "delivery "); !ok {
			return Unknown
		}
		if l.Delivery, b, ok = num(b); !ok {
			return Unknown
		}
		if b, ok = cut(b, ": "); !ok {
			return Unknown
		}
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
		if b, ok = cut(b, "bounce msg "); !ok {
			return Unknown
		}
		if l.Msg, b, ok = num(b); !ok {
			return Unknown
		}
		if b, ok = cut(b, " qp "); !ok {
			return Unknown
		}
		if l.Qp, b, ok = num(b); ok && len(b) == 0 {
			return BounceMsg
		}
	case 't':
		if r, ok := cut(b, "triple bounce: discarding bounce/"); ok {
			if l.Msg, r, ok = num(r); ok && len(r) == 0 {
				return TripleBounce
			}
			return Unknown
		}
		if b, ok = cut(b, "tcpserver: "); !ok {
			return Unknown
		}
		return parseTCP(b, l)
	case 'e':
		if b, ok = cut(b, "end msg "); ok {
			if l.Msg, b, ok = num(b); ok && len(b) == 0 {
				return EndMsg
			}
		}
	case 'w', 'a':
		if hasPrefix(b, "warning: ") || hasPrefix(b, "alert: ") {
			l.Reason = b
			return SendNote
		}
	case 'r':
		if b, ok = cut(b, "rblsmtpd: "); !ok {
			return Unknown
		}
		i := index(b, " pid ")
		if i < 0 {
			return Unknown
		}
		l.Host, b = b[:i], b[i+5:]
		if l.Pid, b, ok = num(b); !ok {
			return Unknown
		}
		if b, ok = cut(b, ": "); ok {
			l.Reason = b
			return RBL
		}
	}
	return Unknown
}

// parseTCP reads a tcpserver line after "tcpserver: ".
func parseTCP(b []byte, l *Line) Kind {
	var ok bool
	switch {
	case hasPrefix(b, "status: "):
		if l.N, l.Max, b, ok = fraction(b[8:]); ok && len(b) == 0 {
			return TCPStatus
		}
	case hasPrefix(b, "pid "):
		if l.Pid, b, ok = num(b[4:]); !ok {
			return Unknown
		}
		if b, ok = cut(b, " from "); ok {
			l.Host = b
			return TCPPid
		}
	case hasPrefix(b, "ok "), hasPrefix(b, "deny "):
		k := TCPOk
		if b[0] == 'd' {
			k, b = TCPDeny, b[5:]
		} else {
			b = b[3:]
		}
		if l.Pid, b, ok = num(b); !ok {
			return Unknown
		}
		// " LOCALHOST:LOCALIP:LOCALPORT REMOTEHOST:REMOTEIP:REMOTEINFO:REMOTEPORT"
		if b, ok = cut(b, " "); !ok {
			return Unknown
		}
		i := index(b, " ")
		if i < 0 {
			return Unknown
		}
		l.Host = remoteIP(b[i+1:])
		return k
	case hasPrefix(b, "end "):
		if l.Pid, b, ok = num(b[4:]); !ok {
			return Unknown
		}
		if b, ok = cut(b, " status "); ok {
			if l.N2 = 0; len(b) > 0 {
				var s uint64
				if s, b, ok = num(b); ok && len(b) == 0 {
					l.N2 = int(s)
					return TCPEnd
				}
			}
		}
	}
	return Unknown
}

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
