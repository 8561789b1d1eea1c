// Package obs is what operators see of a running xinyong process: structured logs carrying the request id, the
// request id's way from an HTTP request into workflows and activities, and the Prometheus registry behind /metrics.
package obs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"strings"
)

// HeaderRequestID carries a request id in and out of the HTTP server; a caller's own id is kept when it is sane.
const HeaderRequestID = "X-Request-Id"

// requestIDKey is a string so that fasthttp's RequestCtx (which answers Value for string keys from its user
// values) finds the id too when a handler passes c.Context() instead of c.UserContext().
const requestIDKey = "xinyong.request_id"

type ctxKey string

// WithRequestID returns ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, ctxKey(requestIDKey), id)
}

// RequestID is the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	if v, ok := ctx.Value(ctxKey(requestIDKey)).(string); ok {
		return v
	}
	if v, ok := ctx.Value(requestIDKey).(string); ok {
		return v
	}
	return ""
}

// NewRequestID is 16 random hex digits: short enough to read out on the phone, unique enough for a log search.
func NewRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// SaneRequestID tells whether a caller-supplied id may be echoed into logs and headers: printable ASCII without
// spaces or quotes, at most 128 characters (a longer or odd one is replaced, never trusted).
func SaneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r > '~' || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}

// NewLogger is the process logger: text by default, JSON lines when LOG_FORMAT=json (for log shippers), at
// LOG_LEVEL (debug, info, warn, error; default info). Every line logged with a context carries its request id.
func NewLogger(w io.Writer) *slog.Logger {
	return NewLoggerAt(w, levelFromEnv(slog.LevelInfo))
}

// NewLoggerAt is NewLogger at a fixed minimum level.
func NewLoggerAt(w io.Writer, level slog.Leveler) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if strings.EqualFold(os.Getenv("LOG_FORMAT"), "json") {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(ContextHandler{h})
}

func levelFromEnv(def slog.Level) slog.Level {
	var l slog.Level
	if v := os.Getenv("LOG_LEVEL"); v != "" && l.UnmarshalText([]byte(v)) == nil {
		return l
	}
	return def
}

// ContextHandler adds the context's request id to every record logged with a context (InfoContext and friends).
type ContextHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ContextHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{h.Handler.WithGroup(name)}
}
