package qmail

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mlog/mlog/tai64"
)

// WriteJSON writes v (a [Stats] or the result of [Trace]) to w as indented
// JSON. Durations are in nanoseconds.
func WriteJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// report builds a text report.
type report struct {
	b   strings.Builder
	loc *tai64.Localizer
}

func newReport(zone *tai64.Zone) *report {
	return &report{loc: tai64.NewLocalizer(tai64.LocalConfig{Zone: zone})}
}

func (r *report) time(t tai64.Time) string {
	b, ok := r.loc.AppendTime(nil, t)
	if !ok {
		return t.String()
	}
	return string(b)
}

func (r *report) line(s ...string) {
	for _, x := range s {
		r.b.WriteString(x)
	}
	r.b.WriteByte('\n')
}

// table writes rows with their columns aligned: text columns left,
// number columns (all digits) right.
func (r *report) table(indent string, rows [][]string) {
	var w []int
	for _, row := range rows {
		for i, c := range row {
			if i >= len(w) {
				w = append(w, 0)
			}
			w[i] = max(w[i], len(c))
		}
	}
	for _, row := range rows {
		var sb strings.Builder
		sb.WriteString(indent)
		for i, c := range row {
			if i > 0 {
				sb.WriteString("  ")
			}
			pad := strings.Repeat(" ", w[i]-len(c))
			if i == len(row)-1 && (!numeric(c) || len(w) == 3) {
				sb.WriteString(c) // a note: no trailing blanks
				continue
			}
			if numeric(c) {
				sb.WriteString(pad + c)
			} else {
				sb.WriteString(c + pad)
			}
		}
		r.line(strings.TrimRight(sb.String(), " "))
	}
}

func numeric(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' && c != '%' {
			return false
		}
	}
	return true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func pct(n, of int64) string {
	if of == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + "%"
}

func dur(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// WriteStats writes s to w as readable tables, times in zone (nil: UTC).
func WriteStats(w io.Writer, s *Stats, zone *tai64.Zone) error {
	r := newReport(zone)
	if s.Lines == 0 {
		r.line("no lines")
	} else {
		r.line("lines from ", r.time(tai64.FromTime(s.First)), " to ", r.time(tai64.FromTime(s.Last)))
	}
	attempts := s.Success + s.Failure + s.Deferral
	r.line()
	r.table("", [][]string{
		{"messages", itoa(s.Messages), "new msg"},
		{"ended", itoa(s.Ended), "end msg"},
		{"bytes", itoa(s.Bytes), "in " + itoa(s.Infos) + " info msg"},
		{"recipients", itoa(s.Recipients), "success + failure"},
		{"attempts", itoa(attempts), "starting delivery: " + itoa(s.Starts) + " (" + itoa(s.Local) + " local, " + itoa(s.Remote) + " remote)"},
		{"  success", itoa(s.Success), pct(s.Success, attempts)},
		{"  failure", itoa(s.Failure), pct(s.Failure, attempts)},
		{"  deferral", itoa(s.Deferral), pct(s.Deferral, attempts)},
		{"bounces", itoa(s.Bounces), ""},
	})
	r.line()
	r.table("", [][]string{
		{"", "n", "avg", "50%", "90%", "95%", "99%", "max"},
		distRow("delivery delay", s.DeliveryDelay),
		distRow("queue time", s.QueueTime),
	})
	r.line()
	r.table("", [][]string{
		{"concurrency peak", "local " + strconv.Itoa(s.LocalPeak) + "/" + strconv.Itoa(s.LocalLimit),
			"remote " + strconv.Itoa(s.RemotePeak) + "/" + strconv.Itoa(s.RemoteLimit),
			"smtp " + strconv.Itoa(s.SMTPPeak) + "/" + strconv.Itoa(s.SMTPLimit)},
	})
	if s.Connections+s.Sessions+s.RBLRejections+s.Denied > 0 {
		r.line()
		r.table("", [][]string{
			{"smtp connections", itoa(s.Connections)},
			{"  accepted", itoa(s.Sessions)},
			{"  denied", itoa(s.Denied)},
			{"  rblsmtpd rejected", itoa(s.RBLRejections)},
			{"  ended", itoa(s.SessionEnds)},
			{"  ended with an error", itoa(s.SessionErrors)},
		})
	}
	r.line()
	r.table("", [][]string{
		{"lines", itoa(s.Lines)},
		{"  unknown", itoa(s.Unknown)},
		{"  cut by multilog", itoa(s.Cut)},
		{"ended, queued before the range", itoa(s.EndedUnstarted)},
		{"results, started before the range", itoa(s.ResultsUnstarted)},
		{"still queued at the end", itoa(s.OpenMessages)},
		{"deliveries in progress at the end", itoa(s.OpenDeliveries)},
		{"ids reused with no end msg", itoa(s.Unended)},
		{"qmail-send restarts", itoa(s.Restarts)},
		{"  deliveries lost in them", itoa(s.Abandoned)},
		{"warnings and alerts", itoa(s.Notes)},
		{"delays across a clock step back", itoa(s.ClockBack), "counted as 0"},
	})
	counts := func(title string, cs []Count) {
		if len(cs) == 0 {
			return
		}
		r.line()
		r.line(title)
		rows := make([][]string, 0, len(cs))
		for _, c := range cs {
			rows = append(rows, []string{itoa(c.Count), c.Key})
		}
		r.table("  ", rows)
	}
	counts("failures by reason", s.Failures)
	counts("deferrals by reason", s.Deferrals)
	counts("top senders (messages)", s.Senders)
	counts("top recipients (attempts)", s.Rcpts)
	counts("top recipient domains (attempts)", s.Domains)
	if len(s.Hosts) > 0 {
		r.line()
		r.line("top remote hosts (attempts)")
		rows := [][]string{{"attempts", "success", "failure", "deferral", "host"}}
		for _, h := range s.Hosts {
			rows = append(rows, []string{itoa(h.Count), itoa(h.Success), itoa(h.Failure), itoa(h.Deferral), h.Host})
		}
		r.table("  ", rows)
	}
	counts("top smtp clients (connections)", s.Clients)
	if len(s.Series) > 0 {
		r.line()
		r.line("per ", s.BucketSize)
		rows := [][]string{{"time", "messages", "bytes", "success", "failure", "deferral", "connections"}}
		for _, b := range s.Series {
			rows = append(rows, []string{r.time(tai64.FromTime(b.Time)), itoa(b.Messages), itoa(b.Bytes), itoa(b.Success), itoa(b.Failure), itoa(b.Deferral), itoa(b.Connections)})
		}
		r.table("  ", rows)
	}
	if s.FailedFiles > 0 {
		r.line()
		r.line("files that could not be read: ", strconv.Itoa(s.FailedFiles))
	}
	_, err := io.WriteString(w, r.b.String())
	return err
}

func distRow(name string, d Dist) []string {
	if d.N == 0 {
		return []string{name, "0", "-", "-", "-", "-", "-", "-"}
	}
	return []string{name, itoa(d.N), dur(d.Avg), dur(d.P50), dur(d.P90), dur(d.P95), dur(d.P99), dur(d.Max)}
}

// WriteTrace writes the messages a trace found, times in zone.
func WriteTrace(w io.Writer, found []*Traced, zone *tai64.Zone) error {
	r := newReport(zone)
	for i, tm := range found {
		if i > 0 {
			r.line()
		}
		m := &tm.Msg
		head := "msg " + strconv.FormatUint(m.ID, 10)
		if m.HasInfo {
			head += ": from <" + string(m.Sender) + "> qp " + strconv.FormatUint(m.Qp, 10) + " uid " + strconv.FormatUint(m.Uid, 10) + ", " + strconv.FormatUint(m.Bytes, 10) + " bytes"
		}
		switch {
		case tm.Open:
			head += "; still queued"
		case m.Ended && m.HasStart:
			head += "; in the queue " + dur(Sub(m.End, m.Start))
		}
		if !m.HasStart {
			head += "; queued before the lines read"
		}
		r.line(head)
		for _, a := range tm.Attempts {
			ch := "local"
			if a.Remote {
				ch = "remote"
			}
			s := "  delivery " + strconv.FormatUint(a.Delivery, 10) + " to " + ch + " " + string(a.Recip) + ": "
			if a.Done {
				s += a.Result.String() + " after " + dur(Sub(a.End, a.Start))
			} else {
				s += "no result"
			}
			r.line(s)
		}
		for _, l := range tm.Lines {
			r.line("  ", r.time(l.Time), " ", l.Text)
		}
	}
	_, err := io.WriteString(w, r.b.String())
	return err
}

// traceJSON is a [Traced] as JSON.
type traceJSON struct {
	Msg      uint64        `json:"msg"`
	Start    *time.Time    `json:"start"`
	End      *time.Time    `json:"end"`
	Open     bool          `json:"open"`
	Sender   *string       `json:"sender"`
	Qp       uint64        `json:"qp,omitempty"`
	Uid      uint64        `json:"uid,omitempty"`
	Bytes    uint64        `json:"bytes,omitempty"`
	Bounced  bool          `json:"bounced"`
	Attempts []attemptJSON `json:"deliveries"`
	Lines    []lineJSON    `json:"lines"`
}

type attemptJSON struct {
	Delivery uint64     `json:"delivery"`
	Channel  string     `json:"channel"`
	Recip    string     `json:"recipient"`
	Start    time.Time  `json:"start"`
	End      *time.Time `json:"end"`
	Result   string     `json:"result,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

type lineJSON struct {
	Time time.Time `json:"time"`
	Line string    `json:"line"`
}

// TraceJSON returns the messages a trace found as values for [WriteJSON].
func TraceJSON(found []*Traced) any {
	out := make([]traceJSON, 0, len(found))
	for _, tm := range found {
		m := &tm.Msg
		j := traceJSON{Msg: m.ID, Open: tm.Open, Qp: m.Qp, Uid: m.Uid, Bytes: m.Bytes, Bounced: m.Bounced}
		if m.HasStart {
			t := m.Start.Time().UTC()
			j.Start = &t
		}
		if m.Ended {
			t := m.End.Time().UTC()
			j.End = &t
		}
		if m.HasInfo {
			s := string(m.Sender)
			j.Sender = &s
		}
		j.Attempts = []attemptJSON{}
		for _, a := range tm.Attempts {
			aj := attemptJSON{Delivery: a.Delivery, Channel: "local", Recip: string(a.Recip), Start: a.Start.Time().UTC()}
			if a.Remote {
				aj.Channel = "remote"
			}
			if a.Done {
				t := a.End.Time().UTC()
				aj.End, aj.Result, aj.Reason = &t, a.Result.String(), string(a.Reason)
			}
			j.Attempts = append(j.Attempts, aj)
		}
		for _, l := range tm.Lines {
			j.Lines = append(j.Lines, lineJSON{l.Time.Time().UTC(), l.Text})
		}
		out = append(out, j)
	}
	return out
}
