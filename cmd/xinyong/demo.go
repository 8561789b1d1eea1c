package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"xinyong/demo"
	"xinyong/domain"
	"xinyong/storage"
)

// The living demo data (issue 20) is made by `xinyong dev` only: on the first start, in the background once the
// HTTP server is ready, through the JSON API as the demo logins (package demo). XINYONG_DEMO=off leaves it out.

func init() {
	if devTemporalBuiltIn {
		commands["demo"] = command{"demo reset: wipe the dev workflows and database, then run dev with a fresh demo city", runDemoCommand}
	}
}

// demoEnabled is false when XINYONG_DEMO is off (or 0, false, no).
func demoEnabled() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv("XINYONG_DEMO"))) {
	case "off", "0", "false", "no":
		return false
	}
	return true
}

// ownBaseURL is where this process's HTTP server answers on this machine.
func ownBaseURL(httpAddr string) string {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return "http://" + httpAddr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// runDemoData makes the demo city unless it exists (or the database holds cases of its own); it never fails dev.
func runDemoData(ctx context.Context, cfg config, db *storage.DB, log *slog.Logger) {
	if !demoEnabled() {
		log.Info("demo data: off (XINYONG_DEMO)")
		return
	}
	st, err := db.DemoRunState(ctx)
	switch {
	case err != nil:
		log.Error("demo data", "err", err)
		return
	case st.Completed:
		return
	case st.HasCases && !st.Started:
		log.Info("demo data: the database already holds penalties; no demo city is made")
		return
	}
	base := ownBaseURL(cfg.HTTPAddr)
	if err := waitReady(ctx, base); err != nil {
		log.Error("demo data: the server is not ready", "err", err)
		return
	}
	if err := db.MarkDemo(ctx, storage.DemoStartedAction, nil); err != nil {
		log.Error("demo data", "err", err)
		return
	}
	log.Info("demo data: making the demo city in the background (about 200 penalties through the API)")
	c := &demo.Client{Base: base, Log: log, Token: func(ctx context.Context, login string) (string, error) {
		u, err := db.UserByLogin(ctx, login)
		if err != nil {
			return "", err
		}
		tok, _, err := db.CreateToken(ctx, u.ID, "demo data")
		return tok, err
	}}
	sum, err := demo.Run(ctx, c, domain.Today())
	if ctx.Err() != nil {
		log.Info("demo data: interrupted; the next start finishes it")
		return
	}
	if err != nil {
		log.Warn("demo data: incomplete", "err", err)
	}
	if err := db.MarkDemo(ctx, storage.DemoCompletedAction, sum); err != nil {
		log.Error("demo data", "err", err)
	}
}

// waitReady polls GET /readyz until it answers 200.
func waitReady(ctx context.Context, base string) error {
	cl := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := cl.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /readyz: %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// runDemoCommand is `xinyong demo reset`: with dev stopped, it drops the dev database's tables and the dev
// Temporal server's workflows, then runs dev, which makes the demo city again.
func runDemoCommand(ctx context.Context, args []string) error {
	if len(args) != 1 || args[0] != "reset" {
		return errors.New("usage: xinyong demo reset")
	}
	cfg := loadConfig()
	dir := filepath.Join(cfg.DataDir, "temporal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	// The dev Temporal server holds this lock while it runs: reset only a stopped dev.
	unlock, err := lockOrFail(filepath.Join(dir, "lock"))
	if err != nil {
		return fmt.Errorf("stop `xinyong dev` first: %w", err)
	}
	dsn, err := resolveDSN(ctx, cfg, nil)
	if err != nil {
		unlock()
		return fmt.Errorf("postgres: %w", err)
	}
	db, err := openDB(ctx, dsn, true)
	if err != nil {
		unlock()
		return err
	}
	err = db.WipeDemo(ctx)
	db.Close()
	if err != nil {
		unlock()
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		unlock()
		return err
	}
	for _, e := range entries {
		if e.Name() == "lock" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			unlock()
			return fmt.Errorf("demo reset: %w", err)
		}
	}
	unlock()
	fmt.Println("demo reset: database and workflows wiped; starting dev with a fresh demo city")
	return runDev(ctx, nil)
}
