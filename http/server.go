package httpapi

import (
	"context"
	"log/slog"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	"go.temporal.io/sdk/client"

	"xinyong/egress"
	"xinyong/obs"
	"xinyong/storage"
)

// Config is what the HTTP server needs to know about its deployment.
type Config struct {
	// BaseURL is the public address of the site, used in letters' verification links.
	BaseURL string
	// SecureCookies forces the Secure flag on cookies; it is also set per request behind TLS.
	SecureCookies bool
	// SessionTTL is how long a browser session lives.
	SessionTTL time.Duration
	// Metrics receives the per-route HTTP series; nil records nothing.
	Metrics *obs.Metrics
	// MetricsToken, when set, mounts /metrics on this server for scrapers sending it as a bearer token.
	MetricsToken string

	// Hardening settings (SECURITY.md); zero values take the defaults of hardening.go.
	// TrustedProxies are the addresses or CIDR networks of reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (XINYONG_TRUSTED_PROXIES); without them the peer address is the client.
	TrustedProxies []string
	// ChannelEgress lists the internal hosts webhook endpoints may point at (XINYONG_CHANNEL_ALLOW_HOSTS).
	ChannelEgress *egress.Policy
	// UploadQuotaBytes bounds what one user uploads in 24 hours (XINYONG_UPLOAD_QUOTA_MB).
	UploadQuotaBytes int64
	// LoginRatePerMinute and AnonRatePerMinute limit unauthenticated requests per client address.
	LoginRatePerMinute, AnonRatePerMinute int
	// LoginLimits throttle password guessing per login and address.
	LoginLimits storage.LoginLimits
	// TokenTTL is the lifetime of a bearer token created without expires_in_days.
	TokenTTL time.Duration
	// ReadConcurrency is how many reads (GET and HEAD) are answered at once, the others waiting in order
	// (XINYONG_READ_CONCURRENCY; 0: one per processor and one more; negative: no limit). See admission.go.
	ReadConcurrency int
	// NoCredentialCache reads every request's caller from PostgreSQL (XINYONG_CREDENTIAL_CACHE=off), for a
	// PostgreSQL reached through a pooler that does not pass LISTEN (PgBouncer in transaction mode). By default the
	// process keeps its callers' users (storage's credCache).
	NoCredentialCache bool
}

// Server is xinyong's HTTP front: JSON API and pages.
type Server struct {
	db       *storage.DB
	temporal client.Client
	log      *slog.Logger
	cfg      Config
	app      *fiber.App
	cases    caseClient
	sim      *channelSimulator // the channel simulator's state, when it is mounted
	openapiState
	hardeningState
	homeCounts homeCounts // the office home page's city-wide counts (home_cache.go)
	reads      *readGate  // nil: reads are not gated (admission.go)
}

// maxBodyBytes bounds every request; JSON endpoints have a lower bound of their own (maxJSONBytes).
const maxBodyBytes = 25 << 20

// New builds the server and its routes.
func New(db *storage.DB, tc client.Client, log *slog.Logger, cfg Config) *Server {
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://127.0.0.1:8080"
	}
	s := &Server{db: db, temporal: tc, log: log, cfg: cfg, cases: caseClient{tc: tc, log: log}, reads: newReadGate(cfg.ReadConcurrency)}
	s.cases.limit = s.limitStep
	if !cfg.NoCredentialCache {
		db.CacheCredentials()
	}
	s.setupHardening()
	s.app = fiber.New(fiber.Config{
		AppName:               "xinyong",
		ErrorHandler:          errorHandler(log),
		BodyLimit:             maxBodyBytes,
		Immutable:             true, // handlers hand values to workflows and goroutines; never alias request memory
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		DisableStartupMessage: true,
		// c.IP() and c.Protocol() believe forwarding headers only from TrustedProxies (see hardening.go).
		EnableTrustedProxyCheck: true,
		TrustedProxies:          s.cfg.TrustedProxies,
		ProxyHeader:             clientIPHeader,
		JSONEncoder:             gojson.Marshal,
		// A page or a list of fifty records is 20-60 KB. With fasthttp's 4 KB buffer its answer went out in two
		// writes (the buffer, then the rest), and a system call costs this kind of virtual machine 20 µs; a
		// buffer that holds the whole answer sends it in one. A kept-alive connection holds its buffer until it
		// closes (idle connections close after ReadTimeout); buffers are pooled between connections (issue 17).
		WriteBufferSize: 64 << 10,
	})
	s.routes()
	return s
}

// App exposes the Fiber app, for tests (app.Test) and for Listen.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until ctx ends.
func (s *Server) Listen(ctx context.Context, addr string) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listen(addr) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return s.app.ShutdownWithTimeout(10 * time.Second)
	}
}

func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	return c.Next()
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	checks := fiber.Map{"postgres": "ok", "temporal": "ok"}
	ready := true
	if err := s.db.PingContext(ctx); err != nil {
		checks["postgres"] = err.Error()
		ready = false
	}
	if s.temporal == nil {
		checks["temporal"] = "not configured"
		ready = false
	} else if _, err := s.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"] = err.Error()
		ready = false
	}
	if !ready {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"error": &Error{Code: "not_ready", Message: "依赖服务不可用", Details: checks}})
	}
	return c.JSON(fiber.Map{"status": "ready", "checks": checks})
}
