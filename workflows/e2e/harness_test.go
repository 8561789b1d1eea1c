// Package e2e runs whole procedures against a real in-process Temporal server, a real PostgreSQL and the real
// HTTP API. It is its own package because importing the Temporal server makes a large test binary.
package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"xinyong/activities"
	"xinyong/egress"
	httpapi "xinyong/http"
	"xinyong/storage"
	"xinyong/storage/pgtest"
	"xinyong/workflows"
	"xinyong/workflows/wftest"
)

// stack is one whole system: Temporal, a worker, PostgreSQL with the demo data, and the HTTP server.
type stack struct {
	t        *testing.T
	db       *storage.DB
	temporal client.Client
	base     string
	acts     *activities.Activities
}

func newStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(ctx))
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	tc := ts.GetDefaultClient()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	acts := &activities.Activities{DB: db, Log: log, BaseURL: base, Egress: egress.MustParse("127.0.0.1")}
	w := worker.New(tc, workflows.TaskQueue, activities.WorkerOptions())
	workflows.Register(w, acts)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	srv := httpapi.New(db, tc, log, httpapi.Config{BaseURL: base, ChannelEgress: egress.MustParse("127.0.0.1")})
	go func() { _ = srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = srv.App().Shutdown() })
	return &stack{t: t, db: db, temporal: tc, base: base, acts: acts}
}

// recordHistory writes the history of a workflow, finished or at rest, into workflows/testdata when
// XINYONG_RECORD_HISTORY=1, for the replay test of the workflows package (which lists every history it replays).
func (s *stack) recordHistory(workflowID, name string) {
	s.t.Helper()
	wftest.RecordHistory(s.t, s.temporal, workflowID, name)
}

// token issues a bearer token for a demo login.
func (s *stack) token(login string) string {
	s.t.Helper()
	u, err := s.db.UserByLogin(context.Background(), login)
	require.NoError(s.t, err)
	tok, _, err := s.db.CreateToken(context.Background(), u.ID, "e2e")
	require.NoError(s.t, err)
	return tok
}

// call sends a JSON request and decodes the JSON answer into out (when not nil); it returns the status.
func (s *stack) call(method, path, token string, body any, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(s.t, err)
		r = strings.NewReader(string(raw))
	}
	req, err := http.NewRequest(method, s.base+path, r)
	require.NoError(s.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	if out != nil && len(raw) > 0 {
		require.NoError(s.t, json.Unmarshal(raw, out), "status %d body %s", resp.StatusCode, raw)
	}
	return resp.StatusCode
}

// eventually polls cond until it holds or the timeout passes.
func (s *stack) eventually(timeout time.Duration, what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("timed out after %s waiting for: %s", timeout, what)
}

func TestStackIsReady(t *testing.T) {
	s := newStack(t)
	var ready map[string]any
	require.Equal(t, 200, s.call("GET", "/readyz", "", nil, &ready))
	require.Equal(t, "ready", ready["status"])
}
