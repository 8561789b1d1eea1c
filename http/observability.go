package httpapi

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"xinyong/obs"
)

// quietPaths are polled by load balancers, Kubernetes and Prometheus every few seconds; their access-log lines go
// to debug so that they do not drown the requests people make.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// observe installs, before anything else, what makes every request visible and survivable: its request id, its
// access-log line and metrics, and the recovery of a panicking handler.
func (s *Server) observe(app *fiber.App) {
	app.Use(s.requestID, s.accessLog, s.recoverPanic)
}

// metrics serves GET /metrics to scrapers that hold the metrics token (Config.MetricsToken); without a configured
// token the route answers as if it did not exist, and metrics are served only on the separate METRICS_ADDR listener.
func (s *Server) metrics(c *fiber.Ctx) error {
	if s.cfg.Metrics == nil || s.cfg.MetricsToken == "" {
		return errNoRoute
	}
	got := strings.TrimPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.MetricsToken)) != 1 {
		return errNoRoute
	}
	return adaptor.HTTPHandler(s.cfg.Metrics.Handler())(c)
}

// requestID takes the caller's X-Request-Id when it is sane (a gateway's id keeps one trail across systems), else
// makes one; it is answered back, and carried by the request's context into logs and Temporal calls.
func (s *Server) requestID(c *fiber.Ctx) error {
	id := c.Get(obs.HeaderRequestID)
	if !obs.SaneRequestID(id) {
		id = obs.NewRequestID()
	}
	c.Set(obs.HeaderRequestID, id)
	c.Locals("xinyong.request_id", id)
	c.SetUserContext(obs.WithRequestID(c.UserContext(), id))
	return c.Next()
}

// accessLog writes one line per request and records the route's metrics. An error from the chain is answered
// here (through the app's error handler) so that the line and the metrics carry the status the caller got.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	done := s.cfg.Metrics.InFlight()
	err := c.Next()
	done()
	if err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	took := time.Since(start)
	status := c.Response().StatusCode()
	route := routePattern(c)
	s.cfg.Metrics.ObserveHTTP(c.Method(), route, status, took)
	level := slog.LevelInfo
	if quietPaths[c.Path()] && status < 400 {
		level = slog.LevelDebug
	}
	// A streamed body (an export) is not known yet, and asking for it would read the whole stream into memory.
	size := -1
	if !c.Response().IsBodyStream() {
		size = len(c.Response().Body())
	}
	s.log.Log(c.UserContext(), level, "http", "method", c.Method(), "route", route, "path", c.Path(),
		"status", status, "ms", took.Milliseconds(), "bytes", size, "ip", c.IP())
	return nil
}

// routePattern is the matched route (/api/v1/penalties/:id), never the raw path: one metric series per route,
// not per case. A request no route matched reports "unmatched".
func routePattern(c *fiber.Ctx) string {
	r := c.Route()
	// When nothing matched, Fiber leaves the last middleware's route, mounted at "/".
	if r == nil || r.Path == "" || (r.Path == "/" && c.Path() != "/") {
		return "unmatched"
	}
	return r.Path
}

// recoverPanic turns a handler's panic into the 500 of the error model, logged with its stack; the process keeps
// serving. http.ErrAbortHandler-style deliberate aborts do not exist in Fiber, so every panic is a fault.
func (s *Server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(c.UserContext(), "panic in handler", "method", c.Method(), "path", c.Path(),
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = errInternal
		}
	}()
	return c.Next()
}
