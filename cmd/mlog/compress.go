package main

import (
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mlog/mlog/internal/fault"
	"github.com/mlog/mlog/rotate"
	"github.com/mlog/mlog/rotate/compress"
)

// newCompressCmd is the helper multilog runs to compress a finished
// archive off its intake path: multilog opens the archive (without
// following links, regular files only) as its stdin and creates the
// temporary file (exclusively) as its stdout; the helper compresses one
// into the other, fsyncs it and exits 0, and multilog renames it into
// place. It opens nothing by name, so when root runs multilog over a
// logdir someone else owns, no link there can make it read or write
// another file.
func newCompressCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "compress gzip|zstd <ARCHIVE >TEMPORARY",
		Short:  "compress one archive (run by multilog)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var c rotate.Compression
			switch args[0] {
			case "gzip":
				c = rotate.Gzip
			case "zstd":
				c = rotate.Zstd
			default:
				return &fault.UsageError{Msg: "unknown method " + strconv.Quote(args[0])}
			}
			if err := compress.File(c, os.Stdout, os.Stdin); err != nil {
				return &fault.Error{Op: "compress", Err: err}
			}
			return nil
		},
	}
}
