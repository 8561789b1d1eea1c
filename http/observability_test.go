package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/obs"
	"xinyong/storage/pgtest"
)

// syncBuffer is a log sink the server's goroutines and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// lines are the JSON log records written so far.
func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "LOG_FORMAT=json writes JSON lines: %s", l)
		out = append(out, m)
	}
	return out
}

// TestPanickingHandlerAnswers500AndServerKeepsServing is issue 18's acceptance 3 (first half): a handler panics,
// the caller gets the error model's 500 with its request id, the panic is logged with its stack and the request
// id, and the next request to the same server succeeds. Without the recover middleware the panic escapes the
// handler goroutine and ends this test binary.
func TestPanickingHandlerAnswers500AndServerKeepsServing(t *testing.T) {
	t.Setenv("LOG_FORMAT", "json")
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(context.Background()))
	logs := &syncBuffer{}
	metrics := obs.NewMetrics()
	srv := New(db, nil, obs.NewLoggerAt(logs, slog.LevelDebug), Config{Metrics: metrics, MetricsToken: "scrape-secret"})
	var nilMap map[string]int
	srv.App().Get("/test/panic/:id", func(c *fiber.Ctx) error {
		nilMap[c.Params("id")]++ // assignment to entry in nil map
		return nil
	})

	req := httptest.NewRequest("GET", "/test/panic/7", nil)
	req.Header.Set(obs.HeaderRequestID, "gw-4711")
	resp, err := srv.App().Test(req, -1)
	require.NoError(t, err)
	assert.Equal(t, "gw-4711", resp.Header.Get(obs.HeaderRequestID), "the caller's request id is answered back")
	requireError(t, resp, 500, "internal")

	// The same server answers the next request.
	resp, err = srv.App().Test(httptest.NewRequest("GET", "/healthz", nil), -1)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	ownID := resp.Header.Get(obs.HeaderRequestID)
	assert.Regexp(t, `^[0-9a-f]{16}$`, ownID, "a request without an id gets one")

	// A request id that could forge log lines is replaced.
	req = httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set(obs.HeaderRequestID, "x\" level=ERROR msg=forged")
	resp, err = srv.App().Test(req, -1)
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{16}$`, resp.Header.Get(obs.HeaderRequestID))

	var panicLine, accessLine map[string]any
	for _, l := range logs.lines(t) {
		switch {
		case l["msg"] == "panic in handler":
			panicLine = l
		case l["msg"] == "http" && l["route"] == "/test/panic/:id":
			accessLine = l
		}
	}
	require.NotNil(t, panicLine, "the panic is logged")
	assert.Equal(t, "gw-4711", panicLine["request_id"])
	assert.Contains(t, panicLine["panic"], "nil map")
	assert.Contains(t, panicLine["stack"], "observability_test.go", "the stack points at the handler")
	require.NotNil(t, accessLine, "the access log has the request, by route pattern")
	assert.Equal(t, "gw-4711", accessLine["request_id"])
	assert.EqualValues(t, 500, accessLine["status"])
	assert.Equal(t, "/test/panic/7", accessLine["path"])

	// Per-route metrics, on /metrics for the token holder only.
	resp, err = srv.App().Test(httptest.NewRequest("GET", "/metrics", nil), -1)
	require.NoError(t, err)
	requireError(t, resp, 404, "not_found")
	req = httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer scrape-secret")
	resp, err = srv.App().Test(req, -1)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	raw, _ := io.ReadAll(resp.Body)
	body := string(raw)
	assert.Contains(t, body, `xinyong_http_requests_total{code="500",method="GET",route="/test/panic/:id"} 1`)
	assert.Contains(t, body, `xinyong_http_requests_total{code="200",method="GET",route="/healthz"} 2`)
	assert.Contains(t, body, `xinyong_http_request_duration_seconds_bucket{method="GET",route="/test/panic/:id",le="+Inf"} 1`)
	assert.NotContains(t, body, `route="/test/panic/7"`, "raw paths never become series")

	resp, err = srv.App().Test(httptest.NewRequest("GET", "/no/such/page", nil), -1)
	require.NoError(t, err)
	assert.Equal(t, 404, resp.StatusCode)
	req = httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer scrape-secret")
	resp, err = srv.App().Test(req, -1)
	require.NoError(t, err)
	raw, _ = io.ReadAll(resp.Body)
	assert.Contains(t, string(raw), `xinyong_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		"unmatched paths share one series")
}
