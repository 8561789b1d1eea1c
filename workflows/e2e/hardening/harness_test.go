// Package hardening runs the abuse tests and the fuzz targets of the API against a whole stack: a real in-process
// Temporal server, a real PostgreSQL and the real HTTP API. It is apart from package e2e so that each package's
// run stays well within go test's time limit.
package hardening

import (
	"context"
	"encoding/json"
	"fmt"
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
	"xinyong/consistency"
	"xinyong/egress"
	httpapi "xinyong/http"
	"xinyong/storage"
	"xinyong/storage/pgtest"
	"xinyong/workflows"
)

// stack is one whole system: Temporal, a worker, PostgreSQL with the demo data, and the HTTP server.
type stack struct {
	t        testing.TB
	db       *storage.DB
	temporal client.Client
	base     string
}

// newStack starts a stack for a test or a fuzz target (testing.TB: a fuzz target's *testing.F too).
func newStack(t testing.TB) *stack {
	t.Helper()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(context.Background()))
	var ts *temporaltest.TestServer
	if tt, ok := t.(*testing.T); ok {
		ts = temporaltest.NewServer(temporaltest.WithT(tt))
	} else {
		ts = temporaltest.NewServer()
		t.Cleanup(ts.Stop)
	}
	tc := ts.GetDefaultClient()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	w := worker.New(tc, workflows.TaskQueue, activities.WorkerOptions())
	workflows.Register(w, &activities.Activities{DB: db, Log: log, BaseURL: base, Egress: egress.MustParse("127.0.0.1")})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	srv := httpapi.New(db, tc, log, httpapi.Config{BaseURL: base, ChannelEgress: egress.MustParse("127.0.0.1")})
	go func() { _ = srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = srv.App().Shutdown() })
	return &stack{t: t, db: db, temporal: tc, base: base}
}

// token issues a bearer token for a demo login.
func (s *stack) token(login string) string {
	s.t.Helper()
	u, err := s.db.UserByLogin(context.Background(), login)
	require.NoError(s.t, err)
	tok, _, err := s.db.CreateToken(context.Background(), u.ID, "hardening")
	require.NoError(s.t, err)
	return tok
}

// call sends a JSON request and decodes the JSON answer into out (when not nil); it returns the status.
func (s *stack) call(method, path, token string, body any, out any) int {
	s.t.Helper()
	var raw []byte
	if body != nil {
		var err error
		raw, err = json.Marshal(body)
		require.NoError(s.t, err)
	}
	answer, status := s.send(method, path, token, "application/json", raw)
	if out != nil && len(answer) > 0 {
		require.NoError(s.t, json.Unmarshal(answer, out), "status %d body %s", status, answer)
	}
	return status
}

// send makes a request with a raw body and returns the answer's bytes and status.
func (s *stack) send(method, path, token, contentType string, body []byte) ([]byte, int) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		r = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, s.base+path, r)
	require.NoError(s.t, err)
	if body != nil && contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return answer, resp.StatusCode
}

// requireConsistent fails the test when a case row disagrees with its workflow.
func (s *stack) requireConsistent() {
	s.t.Helper()
	ds, err := consistency.Check(context.Background(), s.db, s.temporal, consistency.Options{Settle: 15 * time.Second})
	require.NoError(s.t, err)
	require.Empty(s.t, ds, "every case agrees with its workflow")
}

type trainingAnswer struct {
	ID          int64  `json:"id"`
	Status      string `json:"status"`
	Enrollments []struct {
		USCC   string `json:"uscc"`
		Status string `json:"status"`
	} `json:"enrollments"`
}

func (a trainingAnswer) status(uscc string) string {
	for _, e := range a.Enrollments {
		if e.USCC == uscc {
			return e.Status
		}
	}
	return ""
}

type apiErr struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// planTraining creates a session as the credit office.
func (s *stack) planTraining(office string, starts time.Time, capacity int) trainingAnswer {
	s.t.Helper()
	var tr trainingAnswer
	status := s.call("POST", "/api/v1/trainings", office, map[string]any{
		"title": "信用修复专题培训（加固）", "starts_at": starts.Format(time.RFC3339), "ends_at": starts.Add(3 * time.Hour).Format(time.RFC3339),
		"venue": "镇江市政务服务中心三楼报告厅", "capacity": capacity, "class_hours": 3, "agency": "agency", "pass_score": 60,
	}, &tr)
	require.Equal(s.t, 201, status)
	return tr
}

func (s *stack) training(id int64, token string) trainingAnswer {
	s.t.Helper()
	var tr trainingAnswer
	require.Equal(s.t, 200, s.call("GET", fmt.Sprintf("/api/v1/trainings/%d", id), token, nil, &tr))
	return tr
}
