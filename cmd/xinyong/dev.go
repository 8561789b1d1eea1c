package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"golang.org/x/sync/errgroup"

	"xinyong/storage"
	"xinyong/storage/pgsrv"
)

func init() {
	// The production build (-tags prod) has no embedded Temporal server, hence no dev command.
	if devTemporalBuiltIn {
		commands["dev"] = command{"run everything on this machine: Temporal, PostgreSQL, worker, HTTP, demo data", runDev}
	}
}

// resolveDSN returns DATABASE_URL, or a local PostgreSQL (the one on 5432, or a private cluster under the data folder).
func resolveDSN(ctx context.Context, cfg config, log *slog.Logger) (string, error) {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL, nil
	}
	logf := func(string, ...any) {}
	if log != nil {
		logf = func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) }
	}
	return pgsrv.Ensure(ctx, pgsrv.Options{DataDir: cfg.DataDir, Database: "xinyong", Logf: logf})
}

func runDev(ctx context.Context, args []string) error {
	// The channel simulator (/dev/channel-simulator/{channel}, see http/channels_simulator.go) is for dev and demos
	// only, so only this command switches it on.
	if os.Getenv("XINYONG_CHANNEL_SIMULATOR") == "" {
		_ = os.Setenv("XINYONG_CHANNEL_SIMULATOR", "1")
	}
	cfg := loadConfig()
	log := newLogger()
	// One process holds the Temporal server, the worker and the HTTP server: a soft heap limit, and an opt-in
	// profile listener to see where the memory goes (memory.go).
	applyDevMemoryLimit(log)
	if cfg.Worker.WorkflowCache == 0 {
		cfg.Worker.WorkflowCache = devWorkflowCache
	}
	cfg.Worker.applyCache() // before the embedded server starts its own workers (memory.go)
	startPprof(log)
	// The channel simulator is served by this very process: dev lets webhooks reach its own host.
	cfg.ChannelAllowHosts = strings.Trim(cfg.ChannelAllowHosts+","+devOwnHosts(cfg.HTTPAddr), ",")
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	dsn, err := resolveDSN(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	db, err := openDB(ctx, dsn, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.SeedDemo(ctx); err != nil {
		return err
	}
	hostPort, uiURL, stopTemporal, err := startDevTemporal(ctx, cfg.DataDir, func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) })
	if err != nil {
		return fmt.Errorf("temporal: %w", err)
	}
	defer stopTemporal()
	cfg.TemporalAddress = hostPort
	tc, err := dialTemporal(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer tc.Close()

	printBanner(cfg, dsn, uiURL)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return runWorkerLoop(gctx, cfg, db, tc, log) })
	g.Go(func() error { return serveHTTP(gctx, cfg, db, tc, log) })
	// The demo city is made in the background once /readyz answers: dev is usable at once (demo.go).
	g.Go(func() error { runDemoData(gctx, cfg, db, log); return nil })
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func printBanner(cfg config, dsn, uiURL string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n信用修复协同平台 xinyong is running (dev)\n\n")
	fmt.Fprintf(&b, "  web:          %s/login\n", cfg.BaseURL)
	fmt.Fprintf(&b, "  API:          %s/api/v1/  (OpenAPI: %s/api/openapi.json)\n", cfg.BaseURL, cfg.BaseURL)
	fmt.Fprintf(&b, "  temporal:     %s", cfg.TemporalAddress)
	if uiURL != "" {
		fmt.Fprintf(&b, "  (Web UI %s)", uiURL)
	}
	fmt.Fprintf(&b, "\n  postgres:     %s\n  data folder:  %s\n\n", redactDSN(dsn), cfg.DataDir)
	fmt.Fprintf(&b, "  demo logins (password %q for all):\n", storage.DemoPassword)
	for _, u := range storage.DemoUsers() {
		fmt.Fprintf(&b, "    %-20s %s（%s）\n", u.Login, u.DisplayName, u.Role.Label())
	}
	fmt.Println(b.String())
}

func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if j := strings.Index(dsn[i+3:], "@"); j >= 0 {
			if k := strings.Index(dsn[i+3:i+3+j], ":"); k >= 0 {
				return dsn[:i+3+k] + ":***" + dsn[i+3+j:]
			}
		}
	}
	return dsn
}

// devOwnHosts is the host of HTTP_ADDR (loopback when it listens on every address) for the dev allow-list.
func devOwnHosts(httpAddr string) string {
	host, _, err := net.SplitHostPort(httpAddr)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		return "127.0.0.1,localhost"
	}
	return host
}
