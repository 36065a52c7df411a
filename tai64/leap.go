package tai64

// leapUnix lists, for each leap second inserted since 1972, the Unix time
// of the first second after it (00:00:00 UTC of 1 January or 1 July). TAI-UTC
// was 10 s before the first and grows by one at each. Source: IERS Bulletin
// C, as in tzdata's leap-seconds.list (checked against it by the tests) and
// skalibs' leapsecs table. No leap second has been announced since 2016.
var leapUnix = [...]int64{
	78796800,   // 1972-07-01
	94694400,   // 1973-01-01
	126230400,  // 1974-01-01
	157766400,  // 1975-01-01
	189302400,  // 1976-01-01
	220924800,  // 1977-01-01
	252460800,  // 1978-01-01
	283996800,  // 1979-01-01
	315532800,  // 1980-01-01
	362793600,  // 1981-07-01
	394329600,  // 1982-07-01
	425865600,  // 1983-07-01
	489024000,  // 1985-07-01
	567993600,  // 1988-01-01
	631152000,  // 1990-01-01
	662688000,  // 1991-01-01
	709948800,  // 1992-07-01
	741484800,  // 1993-07-01
	773020800,  // 1994-07-01
	820454400,  // 1996-01-01
	867715200,  // 1997-07-01
	915148800,  // 1999-01-01
	1136073600, // 2006-01-01
	1230768000, // 2009-01-01
	1341100800, // 2012-07-01
	1435708800, // 2015-07-01
	1483228800, // 2017-01-01
}

// LeapSeconds returns the number of leap seconds inserted before the Unix
// second unix: 0 before 1972-07-01, 27 since 2017-01-01. True TAI is
// unix + 10 + LeapSeconds(unix) in seconds.
func LeapSeconds(unix int64) int {
	// Search from the end: almost every caller asks about a recent time.
	i := len(leapUnix)
	for i > 0 && unix < leapUnix[i-1] {
		i--
	}
	return i
}

// ToTAI converts t from daemontools' arithmetic (a Unix clock, no leap
// seconds) to true TAI by adding the leap seconds inserted before it. The
// result is the label s6-tai64n and skalibs write for the same instant: 27 s
// later than daemontools' label since 2017.
func (t Time) ToTAI() Time {
	sec, _ := t.Unix()
	t.Sec += uint64(LeapSeconds(sec))
	return t
}

// ToUTC converts a true TAI label t, as s6 and skalibs write them, to
// daemontools' arithmetic by taking away the leap seconds. leap reports that
// t falls inside an inserted leap second, which a Unix clock cannot name: u
// is then the second before it (23:59:59), and a calendar shows 23:59:60,
// as s6-tai64nlocal and glibc's right/ zones do.
func (t Time) ToUTC() (u Time, leap bool) {
	raw, _ := t.Unix() // TAI - 10, the time_t of a "right/" zone
	n, leap := leapsBefore(raw)
	t.Sec -= uint64(n)
	return t, leap
}

// leapsBefore returns the leap seconds to take away from raw, a TAI-10
// count of seconds, to get Unix time, and whether raw is itself a leap
// second. Leap second i (from 0) is raw second leapUnix[i]+i; from there on
// i+1 seconds are taken away, so the leap second itself maps to the Unix
// second before leapUnix[i] (glibc's __tzfile_compute does the same with the
// leap records of a right/ zone).
func leapsBefore(raw int64) (n int64, leap bool) {
	i := len(leapUnix)
	for i > 0 && raw < leapUnix[i-1]+int64(i-1) {
		i--
	}
	if i == 0 {
		return 0, false
	}
	return int64(i), raw == leapUnix[i-1]+int64(i-1)
}
