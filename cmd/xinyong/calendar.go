package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"xinyong/domain"
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
	if err := db.ImportHolidayYear(ctx, hy.Year, hy.Source, hy.Days); err != nil {
		return err
	}
	fmt.Printf("loaded %d: %d days (%s)\n", hy.Year, len(hy.Days), hy.Source)
	return nil
}
