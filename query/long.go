package query

import (
	"unicode/utf8"
)

// printLong writes a line longer than MaxLine: its first piece formatted
// as print does, then the rest as it is read, so that the line is never
// held whole. JSON escapes each piece, holding back the bytes of a UTF-8
// sequence a piece boundary cuts.
func (p *printer) printLong(l *Line) error {
	var head []byte
	var carry []byte // the start of a UTF-8 sequence cut by a piece's end
	if p.format == JSON {
		// The head without a sequence its end cuts, and without `"}`.
		n := cutRune(l.Text)
		cut := *l
		cut.Text, cut.more = l.Text[:len(l.Text)-n], nil
		head = p.appendLine(p.buf[:0], &cut)
		head = head[:len(head)-len(`"}`+"\n")]
		carry = append(carry, l.Text[len(l.Text)-n:]...)
	} else {
		head = p.appendLine(p.buf[:0], l)
		head = head[:len(head)-1] // the newline
	}
	p.buf = head
	if _, err := p.w.Write(head); err != nil {
		return err
	}
	for {
		piece, last, _ := l.more.rest()
		if p.format == JSON {
			var esc []byte
			if len(carry) > 0 {
				carry = append(carry, piece...)
				piece = carry
			}
			n := 0
			if !last {
				n = cutRune(piece)
			}
			esc = appendJSONBody(p.buf[:0], piece[:len(piece)-n])
			carry = append(carry[:0], piece[len(piece)-n:]...)
			p.buf = esc
			if _, err := p.w.Write(esc); err != nil {
				return err
			}
		} else if _, err := p.w.Write(piece); err != nil {
			return err
		}
		if last {
			break
		}
	}
	if p.format == JSON {
		_, err := p.w.WriteString(`"}` + "\n")
		return err
	}
	return p.w.WriteByte('\n')
}

// appendJSONBody appends s escaped as in a JSON string, without quotes.
func appendJSONBody(dst, s []byte) []byte {
	n := len(dst)
	dst = appendJSONString(dst, s)
	copy(dst[n:], dst[n+1:len(dst)-1])
	return dst[:len(dst)-2]
}

// cutRune returns how many bytes at the end of b are the start of a UTF-8
// sequence that b cuts short (0 to 3).
func cutRune(b []byte) int {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return i
			}
			return 0
		}
	}
	return 0
}
