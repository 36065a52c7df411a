package compat

import (
	"github.com/mlog/mlog/tai64"
)

// tai64nlocalMain is daemontools' tai64nlocal: it turns the TAI64N label at
// the start of each line of stdin into a local time, in the zone TZ names
// as localtime(3) reads it. Like tai64nlocal 0.76 it ignores its arguments.
// Where 0.76 crashes (a label localtime cannot convert) the line is copied
// unchanged. daemontools exits 111 without a word on a read or write error;
// we say why on stderr first.
func tai64nlocalMain(t *Tool, args []string) int {
	if err := tai64.LocalLines(t.Stdout, t.Stdin, LocalConfig(t.lookupEnv)); err != nil {
		return t.Fatal(err)
	}
	return ExitOK
}

// LocalZone returns the zone localtime(3) uses, from TZ and TZDIR as
// lookupEnv (such as [os.LookupEnv]) gives them: see [tai64.LoadZone].
// An unset TZ means /etc/localtime.
func LocalZone(lookupEnv func(string) (string, bool)) *tai64.Zone {
	tz, set := lookupEnv("TZ")
	dir, _ := lookupEnv("TZDIR")
	return tai64.LoadZone(tai64.ZoneConfig{TZ: tz, TZSet: set, Dir: dir})
}

// LocalConfig returns the configuration that makes [tai64.LocalLines]
// show times as localtime(3) in glibc does, for the environment lookupEnv
// gives: daemontools' tai64nlocal, byte for byte. TAI is set for a zone
// file with leap second records (the right/ zones): glibc then reads
// time_t as counting leap seconds, that is, labels as true TAI.
func LocalConfig(lookupEnv func(string) (string, bool)) tai64.LocalConfig {
	z := LocalZone(lookupEnv)
	return tai64.LocalConfig{Zone: z, TAI: z.Leaps()}
}
