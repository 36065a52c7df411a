package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/rotate/compress"
)

func init() { extraCommands = append(extraCommands, newCompressCmd) }

// newCompressCmd is the helper multilog runs (in the logdir) to compress a
// finished archive off its intake path: it writes DST, fsyncs it and exits
// 0; multilog then renames it into place.
func newCompressCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "compress gzip|zstd SRC DST",
		Short:  "compress one archive (run by multilog)",
		Hidden: true,
		Args:   cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			var c rotate.Compression
			switch args[0] {
			case "gzip":
				c = rotate.Gzip
			case "zstd":
				c = rotate.Zstd
			default:
				return fmt.Errorf("compress: unknown method %q", args[0])
			}
			if err := compress.File(c, args[1], args[2]); err != nil {
				os.Stderr.WriteString("mlog compress: fatal: unable to compress " + args[1] + ": " + err.Error() + "\n")
				return &exitError{111}
			}
			return nil
		},
	}
}
