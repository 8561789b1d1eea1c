package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/sdk/client"

	"xinyong/consistency"
	"xinyong/storage"
)

func init() {
	commands["check"] = command{"compare every case row with its workflow's state; exit 1 on a disagreement (needs a running worker)", runCheck}
}

func runCheck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	settle := fs.Duration("settle", 5*time.Second, "how long a disagreeing case may take to settle (a step in flight)")
	asJSON := fs.Bool("json", false, "print the disagreements as JSON lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return withBackends(ctx, func(ctx context.Context, _ config, db *storage.DB, tc client.Client, _ *slog.Logger) error {
		ds, err := consistency.Check(ctx, db, tc, consistency.Options{Settle: *settle})
		for _, d := range ds {
			if *asJSON {
				_ = json.NewEncoder(os.Stdout).Encode(d)
			} else {
				fmt.Println(d)
			}
		}
		if err != nil {
			return err
		}
		if len(ds) > 0 {
			return fmt.Errorf("%d cases disagree with their workflows", len(ds))
		}
		fmt.Fprintln(os.Stderr, "every case agrees with its workflow")
		return nil
	})
}
