package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"xinyong/domain"
	httpapi "xinyong/http"
	"xinyong/obs"
)

func init() {
	commands["calendar"] = command{"calendar import FILE.json: load a year's holiday notice (holiday-cn format)", runCalendar}
}

func runCalendar(ctx context.Context, args []string) error {
	if len(args) != 2 || args[0] != "import" {
		return errors.New("usage: xinyong calendar import FILE.json")
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	hy, err := domain.ParseHolidayYear(f)
	if err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	cfg := loadConfig()
	dsn, err := resolveDSN(ctx, cfg, nil)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, dsn, true)
	if err != nil {
		return err
	}
	defer db.Close()
	// The open cases whose deadlines were provisional in that year are told, as the admin page does: the same
	// path (httpapi.LoadHolidayYear). Without a Temporal server the notice is loaded and nobody is told.
	log := obs.NewLoggerAt(os.Stderr, slog.LevelWarn)
	tc, err := dialTemporal(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "warning: %v; open cases are not told about the new notice (import again once Temporal runs)\n", err)
		tc = nil
	} else {
		defer tc.Close()
	}
	told, err := httpapi.LoadHolidayYear(ctx, db, tc, hy, log)
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d: %d days (%s); %d open cases with provisional deadlines told\n", hy.Year, len(hy.Days), hy.Source, told)
	return nil
}
