package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"xinyong/obs"
	"xinyong/storage"
	"xinyong/workflows"
)

// config is read from the environment; every process of a deployment shares it.
type config struct {
	DatabaseURL       string
	TemporalAddress   string
	TemporalNamespace string
	HTTPAddr          string
	DataDir           string
	BaseURL           string
	SecureCookies     bool
	// ReconcileEvery is how often the reconciler's schedule runs (XINYONG_RECONCILE_EVERY, a Go duration; "off"
	// or 0 removes the schedule).
	ReconcileEvery time.Duration
	// MetricsAddr is the separate, unauthenticated listener for /metrics, /healthz and /readyz (empty: none).
	MetricsAddr string
	// MetricsToken mounts /metrics on HTTP_ADDR too, for scrapers presenting it as a bearer token.
	MetricsToken string
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func loadConfig() config {
	c := config{
		DatabaseURL:       os.Getenv("DATABASE_URL"),
		TemporalAddress:   env("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace: env("TEMPORAL_NAMESPACE", "default"),
		HTTPAddr:          env("HTTP_ADDR", "127.0.0.1:8080"),
		DataDir:           env("XINYONG_DATA", "./data"),
		SecureCookies:     os.Getenv("XINYONG_SECURE_COOKIES") == "1",
		MetricsAddr:       os.Getenv("METRICS_ADDR"),
		MetricsToken:      os.Getenv("METRICS_TOKEN"),
	}
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	c.BaseURL = env("XINYONG_BASE_URL", "http://"+c.HTTPAddr)
	c.ReconcileEvery = workflows.DefaultReconcileEvery
	switch v := os.Getenv("XINYONG_RECONCILE_EVERY"); v {
	case "":
	case "off":
		c.ReconcileEvery = 0
	default:
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			c.ReconcileEvery = d
		} else {
			fmt.Fprintf(os.Stderr, "XINYONG_RECONCILE_EVERY=%q is not a duration; using %s\n", v, c.ReconcileEvery)
		}
	}
	return c
}

// newLogger logs text, or JSON lines with LOG_FORMAT=json, each line with its request id when there is one.
func newLogger() *slog.Logger {
	l := obs.NewLogger(os.Stderr)
	slog.SetDefault(l)
	return l
}

// openDB connects to DATABASE_URL (required outside dev) and applies migrations when asked.
func openDB(ctx context.Context, dsn string, migrate bool) (*storage.DB, error) {
	if dsn == "" {
		return nil, fmt.Errorf("DATABASE_URL is not set")
	}
	db, err := storage.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// dialTemporal connects to the Temporal frontend.
func dialTemporal(ctx context.Context, cfg config, log *slog.Logger) (client.Client, error) {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  cfg.TemporalAddress,
		Namespace: cfg.TemporalNamespace,
		Logger:    tlog.NewStructuredLogger(obs.NewLoggerAt(os.Stderr, slog.LevelWarn)),
		// The SDK's temporal_* series, the request id in workflow memos and activity contexts.
		MetricsHandler:     procMetrics.TemporalHandler(),
		ContextPropagators: []workflow.ContextPropagator{obs.RequestIDPropagator{}},
		Interceptors:       []interceptor.ClientInterceptor{&obs.ClientInterceptor{}},
	})
	if err != nil {
		return nil, fmt.Errorf("dial temporal at %s: %w", cfg.TemporalAddress, err)
	}
	return c, nil
}
