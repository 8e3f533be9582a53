package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ml-studio/ml-studio/pkg/app"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/backup"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// dsnVariable names the database to back up or restore into, as for the
// service itself.
const dsnVariable = "CERBERUS_DATABASE_DSN"

// backupCommand runs `cerberus backup --to FILE` and `cerberus restore
// --from FILE` on the database CERBERUS_DATABASE_DSN names. It returns
// the exit code: 2 for a bad command line or address, 1 when the copy fails.
func backupCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	verb := args[0]
	flags := flag.NewFlagSet("cerberus "+verb, flag.ContinueOnError)
	flags.SetOutput(stderr)
	var file string
	if verb == "backup" {
		flags.StringVar(&file, "to", "", "the backup file to write (it must not exist)")
	} else {
		flags.StringVar(&file, "from", "", "the backup file to restore from")
	}
	flags.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s=... cerberus %s\n", dsnVariable, map[string]string{"backup": "backup --to FILE", "restore": "restore --from FILE"}[verb])
		flags.PrintDefaults()
	}
	if err := flags.Parse(args[1:]); err != nil {
		return app.Misconfigured
	}
	if file == "" || flags.NArg() > 0 {
		flags.Usage()
		return app.Misconfigured
	}
	raw := os.Getenv(dsnVariable)
	if raw == "" {
		fmt.Fprintf(stderr, "cerberus %s: %s must name the database, as cerberus is run with\n", verb, dsnVariable)
		return app.Misconfigured
	}
	dsn, err := store.ParseDSN(raw)
	if err != nil {
		fmt.Fprintf(stderr, "cerberus %s: %s: %v\n", verb, dsnVariable, err)
		return app.Misconfigured
	}
	var res backup.Result
	if verb == "backup" {
		res, err = backup.Backup(ctx, dsn, file)
	} else {
		res, err = backup.Restore(ctx, dsn, file)
	}
	if err != nil {
		fmt.Fprintf(stderr, "cerberus %s: %v\n", verb, err)
		return app.Failed
	}
	if verb == "backup" {
		fmt.Fprintf(stdout, "backed up the %s database (migration %d) to %s\n", res.Dialect, res.Version, file)
	} else {
		fmt.Fprintf(stdout, "restored %s into the %s database (migration %d; this cerberus migrates to %d at start)\n", file, res.Dialect, res.Version, res.Latest)
	}
	return app.OK
}
