package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"xinyong/activities"
	httpapi "xinyong/http"
	"xinyong/obs"
	"xinyong/storage"
	"xinyong/templates/letters"
	"xinyong/workflows"
)

func init() {
	commands["serve"] = command{"run the HTTP server (JSON API and pages) against DATABASE_URL and TEMPORAL_ADDRESS", runServe}
	commands["worker"] = command{"run a Temporal worker against DATABASE_URL and TEMPORAL_ADDRESS", runWorker}
	commands["migrate"] = command{"apply the database migrations to DATABASE_URL", runMigrate}
	commands["token"] = command{"print a new bearer token: token --login LOGIN [--name NAME]", runToken}
}

func runServe(ctx context.Context, args []string) error {
	return withBackends(ctx, serveHTTP)
}

// withBackends connects to the existing PostgreSQL and Temporal of a production deployment and runs fn.
func withBackends(ctx context.Context, fn func(context.Context, config, *storage.DB, client.Client, *slog.Logger) error) error {
	cfg := loadConfig()
	log := newLogger()
	db, err := openDB(ctx, cfg.DatabaseURL, false)
	if err != nil {
		return err
	}
	defer db.Close()
	tc, err := dialTemporal(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	return fn(ctx, cfg, db, tc, log)
}

func serveHTTP(ctx context.Context, cfg config, db *storage.DB, tc client.Client, log *slog.Logger) error {
	registerDomainGauges(db)
	if err := startMetricsListener(ctx, cfg, db, tc, log); err != nil {
		return err
	}
	hc, err := cfg.httpConfig()
	if err != nil {
		return err
	}
	hc.Metrics, hc.MetricsToken = procMetrics, cfg.MetricsToken
	srv := httpapi.New(db, tc, log, hc)
	log.Info("http listening", "addr", cfg.HTTPAddr)
	return srv.Listen(ctx, cfg.HTTPAddr)
}

func runWorker(ctx context.Context, args []string) error {
	return withBackends(ctx, runWorkerLoop)
}

func runWorkerLoop(ctx context.Context, cfg config, db *storage.DB, tc client.Client, log *slog.Logger) error {
	// Fail at start, not at the first letter, when the font or an edited letter text is broken.
	if err := letters.LoadFonts(); err != nil {
		return err
	}
	if err := letters.LoadTexts(); err != nil {
		return fmt.Errorf("letter texts: %w", err)
	}
	if err := startMetricsListener(ctx, cfg, db, tc, log); err != nil {
		return err
	}
	pol, err := cfg.checkHardening()
	if err != nil {
		return err
	}
	wo := worker.Options{
		// Errors that can never succeed on retry are classified inside the observing interceptor, so its logs
		// and metrics see them as they are answered.
		Interceptors: []interceptor.WorkerInterceptor{&obs.WorkerInterceptor{Log: log}, activities.Interceptor()},
	}
	cfg.Worker.apply(&wo)
	w := worker.New(tc, workflows.TaskQueue, wo)
	workflows.Register(w, &activities.Activities{DB: db, Log: log, BaseURL: cfg.BaseURL, Egress: pol})
	for _, extra := range workerExtras {
		extra(w)
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	// Every worker makes sure the reconciler's schedule exists; a failure here must not stop the worker.
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	if err := workflows.EnsureReconcileSchedule(sctx, tc, cfg.ReconcileEvery, workflows.ReconcileParams{}); err != nil {
		log.Error("reconciler schedule", "err", err)
	}
	cancel()
	log.Info("worker polling", "task_queue", workflows.TaskQueue)
	<-ctx.Done()
	w.Stop()
	return nil
}

func runMigrate(ctx context.Context, args []string) error {
	cfg := loadConfig()
	db, err := openDB(ctx, cfg.DatabaseURL, true)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Println("migrations applied")
	return nil
}

func runToken(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	login := fs.String("login", "", "login of the user the token acts for")
	name := fs.String("name", "cli", "what the token is for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *login == "" {
		return errors.New("--login is required")
	}
	cfg := loadConfig()
	dsn, err := resolveDSN(ctx, cfg, nil)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, dsn, false)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.UserByLogin(ctx, *login)
	if err != nil {
		return err
	}
	tok, t, err := db.CreateToken(ctx, u.ID, *name)
	if err != nil {
		return err
	}
	if err := db.Audit(ctx, storage.AuditEntry{Actor: "cli", Role: "admin", Action: "token.create", CaseKind: "user", CaseID: u.Login}, map[string]any{"token_id": t.ID}); err != nil {
		return err
	}
	fmt.Println(tok)
	return nil
}
