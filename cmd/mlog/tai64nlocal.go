package main

import (
	"github.com/spf13/cobra"

	"github.com/mlog/mlog/internal/compat"
)

func newTai64nlocalCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "tai64nlocal",
		Short:              "convert TAI64N labels at line starts to readable times",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, m, _ := compat.Lookup("tai64nlocal")
			if code := compat.Run("tai64nlocal", m, args); code != 0 {
				return &exitError{code}
			}
			return nil
		},
	}
}
