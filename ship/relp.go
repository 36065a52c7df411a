package ship

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
)

// RELP, the Reliable Event Logging Protocol of rsyslog's librelp. Every
// frame, in both directions, is
//
//	TXNR SP COMMAND SP DATALEN [SP DATA] LF
//
// A client opens a session with "open" (its offers), sends "syslog" frames,
// and ends with "close"; the server answers each with a "rsp" frame of the
// same TXNR whose data starts with a status code, "200 OK". The server may
// send "serverclose" (TXNR 0) before it goes away. The TXNRs of a session
// start at 1 and go up by one; the server refuses any other.

// relpOffers is the data of our "open": version 0, the only one there is,
// and the one command we use.
const relpOffers = "relp_version=0\nrelp_software=mlog\ncommands=syslog"

// maxTxnr is the largest TXNR (nine digits). librelp's own counter goes
// past it; a session that would need more is closed and a new one opened.
var maxTxnr uint32 = 999999999

// maxRspData bounds the data of a frame from the server: a "rsp" holds a
// status and, for "open", the server's offers.
const maxRspData = 64 << 10

// errFrame is a frame that does not follow the syntax above.
var errFrame = errors.New("invalid RELP frame")

// appendFrameHeader appends "TXNR SP COMMAND SP DATALEN", and the SP before
// the data if there is any.
func appendFrameHeader(dst []byte, txnr uint32, cmd string, datalen int) []byte {
	dst = strconv.AppendUint(dst, uint64(txnr), 10)
	dst = append(dst, ' ')
	dst = append(dst, cmd...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(datalen), 10)
	if datalen > 0 {
		dst = append(dst, ' ')
	}
	return dst
}

// appendFrame appends a whole frame.
func appendFrame(dst []byte, txnr uint32, cmd string, data []byte) []byte {
	dst = appendFrameHeader(dst, txnr, cmd, len(data))
	dst = append(dst, data...)
	return append(dst, '\n')
}

// frameReader reads RELP frames.
type frameReader struct {
	r    *bufio.Reader
	cmd  [32]byte // librelp's command limit
	data []byte
	mid  bool // the last call read part of a frame
}

// next reads one frame. cmd and data alias the reader's buffers: they are
// valid until the next call.
func (fr *frameReader) next() (txnr uint32, cmd, data []byte, err error) {
	fr.mid = false
	txnr, c, err := fr.number(' ')
	if err != nil {
		return 0, nil, nil, err
	}
	n := 0
	for {
		b, err := fr.r.ReadByte()
		if err != nil {
			return 0, nil, nil, unexpected(err)
		}
		if b == ' ' {
			break
		}
		if n == len(fr.cmd) || !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z') {
			return 0, nil, nil, errFrame
		}
		fr.cmd[n] = b
		n++
	}
	cmd = fr.cmd[:n]
	datalen, c, err := fr.number(0)
	if err != nil {
		return 0, nil, nil, err
	}
	if datalen > 0 {
		if c != ' ' || datalen > maxRspData {
			return 0, nil, nil, errFrame
		}
		if cap(fr.data) < int(datalen) {
			fr.data = make([]byte, datalen)
		}
		data = fr.data[:datalen]
		if _, err := io.ReadFull(fr.r, data); err != nil {
			return 0, nil, nil, unexpected(err)
		}
		if c, err = fr.r.ReadByte(); err != nil {
			return 0, nil, nil, unexpected(err)
		}
	}
	if c != '\n' {
		return 0, nil, nil, errFrame
	}
	return txnr, cmd, data, nil
}

// number reads up to nine digits and the byte after them, which must be
// sep unless sep is 0. At the very start of a frame, io.EOF is returned as
// is: the peer closed between frames.
func (fr *frameReader) number(sep byte) (uint32, byte, error) {
	var v uint32
	for i := 0; ; i++ {
		b, err := fr.r.ReadByte()
		if err != nil {
			if i > 0 || sep == 0 {
				err = unexpected(err)
			}
			return 0, 0, err
		}
		fr.mid = true
		if b < '0' || b > '9' {
			if i == 0 || sep != 0 && b != sep {
				return 0, 0, errFrame
			}
			return v, b, nil
		}
		if i == 9 {
			return 0, 0, errFrame
		}
		v = v*10 + uint32(b-'0')
	}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// rspOK reports whether the data of a "rsp" frame is a success: a status
// code 200 to 299 (librelp sends "200 OK").
func rspOK(data []byte) bool {
	return len(data) >= 3 && data[0] == '2' && data[1] >= '0' && data[1] <= '9' && data[2] >= '0' && data[2] <= '9' &&
		(len(data) == 3 || data[3] == ' ' || data[3] == '\n')
}

// offersSyslog reports whether the server's answer to "open" enables the
// syslog command.
func offersSyslog(data []byte) bool {
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("commands=")); ok {
			for c := range bytes.SplitSeq(v, []byte{','}) {
				if string(c) == "syslog" {
					return true
				}
			}
		}
	}
	return false
}
