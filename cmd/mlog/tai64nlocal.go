package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/mlog/mlog/internal/compat"
	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/tai64"
)

func newTai64nlocalCmd() *cobra.Command {
	var utc, tai bool
	format := tai64.FormatLocal.String()
	cmd := &cobra.Command{
		Use:   "tai64nlocal [--utc] [--format local|rfc3339|unix] [--tai]",
		Short: "convert TAI64N labels at line starts to readable times",
		Long: `Read lines on stdin and write them to stdout with the TAI64N label at the
start of each line (as multilog t and tai64n write them) replaced by a
readable time. With no options this is daemontools' tai64nlocal, byte for
byte: local time in the zone TZ names, as "2006-01-02 15:04:05.000000000".
Lines without a label are copied unchanged, and so are lines whose label
daemontools' tai64nlocal would crash on.

FORMATS
  local    2006-01-02 15:04:05.000000000 (tai64nlocal's)
  rfc3339  2006-01-02T15:04:05.000000000-07:00 (Z in UTC)
  unix     1136239445.000000000, seconds since 1970-01-01 UTC

EXIT STATUS
  0    end of input
  100  bad usage
  111  unable to read input or write output`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := tai64.ParseFormat(format)
			if err != nil {
				return &fault.UsageError{Msg: "unknown --format " + format + ": want local, rfc3339 or unix"}
			}
			// The zone as localtime(3) reads TZ. A right/ zone means a
			// clock that counts leap seconds, so labels in true TAI.
			cfg := compat.LocalConfig(os.LookupEnv)
			cfg.UTC, cfg.Format, cfg.TAI = utc, f, tai || cfg.TAI
			return tai64.LocalLines(cmd.OutOrStdout(), cmd.InOrStdin(), cfg)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&utc, "utc", "u", false, "show times in UTC instead of the local zone")
	fl.StringVarP(&format, "format", "f", format, "time format: local, rfc3339 or unix")
	fl.BoolVar(&tai, "tai", false, "read labels as true TAI (s6-tai64n, s6-log): take away the leap seconds")
	return cmd
}
