package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"xinyong/egress"
	httpapi "xinyong/http"
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
	// Hardening (SECURITY.md).
	TrustedProxies    []string // XINYONG_TRUSTED_PROXIES: comma-separated addresses/CIDRs of reverse proxies
	ChannelAllowHosts string   // XINYONG_CHANNEL_ALLOW_HOSTS: internal webhook hosts/CIDRs
	UploadQuotaMB     int      // XINYONG_UPLOAD_QUOTA_MB: per user and 24 hours
	TokenTTLDays      int      // XINYONG_TOKEN_TTL_DAYS: default bearer-token lifetime
	// ReadConcurrency is XINYONG_READ_CONCURRENCY: reads answered at once (httpapi.Config.ReadConcurrency).
	ReadConcurrency string
	// CredentialCache is XINYONG_CREDENTIAL_CACHE: "off" reads every caller from the database
	// (httpapi.Config.NoCredentialCache).
	CredentialCache string
	// Worker is the worker's cache and concurrency (memory.go): the SDK's defaults for `xinyong worker`, smaller
	// ones under `xinyong dev`.
	Worker workerTuning
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
	for _, p := range strings.Split(os.Getenv("XINYONG_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	c.ChannelAllowHosts = os.Getenv(egress.EnvAllowHosts)
	c.UploadQuotaMB, _ = strconv.Atoi(os.Getenv("XINYONG_UPLOAD_QUOTA_MB"))
	c.TokenTTLDays, _ = strconv.Atoi(os.Getenv("XINYONG_TOKEN_TTL_DAYS"))
	c.ReadConcurrency = strings.TrimSpace(os.Getenv("XINYONG_READ_CONCURRENCY"))
	c.CredentialCache = strings.TrimSpace(os.Getenv("XINYONG_CREDENTIAL_CACHE"))
	c.Worker = loadWorkerTuning()
	return c
}

// newLogger logs text, or JSON lines with LOG_FORMAT=json, each line with its request id when there is one.
// checkHardening refuses settings that do not parse, so a typo fails at start and not at the first request.
func (c config) checkHardening() (*egress.Policy, error) {
	for _, p := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				return nil, fmt.Errorf("XINYONG_TRUSTED_PROXIES: %q is neither an IP address nor a CIDR network", p)
			}
		}
	}
	return egress.Parse(c.ChannelAllowHosts)
}

// httpConfig is the HTTP server's share of the configuration.
func (c config) httpConfig() (httpapi.Config, error) {
	pol, err := c.checkHardening()
	if err != nil {
		return httpapi.Config{}, err
	}
	reads, err := parseReadConcurrency(c.ReadConcurrency)
	if err != nil {
		return httpapi.Config{}, err
	}
	var noCreds bool
	switch c.CredentialCache {
	case "", "on":
	case "off":
		noCreds = true
	default:
		return httpapi.Config{}, fmt.Errorf("XINYONG_CREDENTIAL_CACHE: %q is neither \"on\" nor \"off\"", c.CredentialCache)
	}
	return httpapi.Config{BaseURL: c.BaseURL, SecureCookies: c.SecureCookies, TrustedProxies: c.TrustedProxies,
		ChannelEgress: pol, UploadQuotaBytes: int64(c.UploadQuotaMB) << 20,
		TokenTTL: time.Duration(c.TokenTTLDays) * 24 * time.Hour, ReadConcurrency: reads, NoCredentialCache: noCreds}, nil
}

// parseReadConcurrency reads XINYONG_READ_CONCURRENCY: empty for the default (0), "off" for no limit (-1), or a
// positive number; anything else fails the start.
func parseReadConcurrency(v string) (int, error) {
	switch v {
	case "":
		return 0, nil
	case "off":
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("XINYONG_READ_CONCURRENCY: %q is neither a positive number nor \"off\"", v)
	}
	return n, nil
}

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
	if n := dbMaxConns(); n > 0 {
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
	}
	if migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// dbMaxConns is XINYONG_DB_MAX_CONNS: the connections a process keeps to PostgreSQL, open and idle (storage.Open's
// 20 when unset). Every API server and worker keeps up to this many, so their sum (and Temporal's own) must stay
// under the server's max_connections.
func dbMaxConns() int {
	v := strings.TrimSpace(os.Getenv("XINYONG_DB_MAX_CONNS"))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "XINYONG_DB_MAX_CONNS=%q is not a positive number; ignored\n", v)
		return 0
	}
	return n
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
