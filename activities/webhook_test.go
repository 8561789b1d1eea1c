package activities

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"xinyong/egress"
	"xinyong/storage/pgtest"
)

// Defect 5, connection time: whatever endpoint is stored (saved before the check existed, or a name that
// resolves to loopback now), the webhook dialer refuses internal addresses; users see a status and a short
// reason, never the reply body; an inactive channel is not called at all.
func TestWebhookCallsNeverReachInternalAddresses(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	require.NoError(t, db.SeedDemo(ctx))
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"message":"SECRET-INTERNAL-REPLY namespace default"}`))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	_, err := db.Exec(`UPDATE channels SET kind = 'webhook', endpoint_url = $1, secret = '0123456789abcdef-shared' WHERE id = 'creditchina'`, srv.URL)
	require.NoError(t, err)

	strict := &Activities{DB: db}
	for _, ep := range []string{srv.URL + "/hook", "http://localhost:" + port + "/hook"} {
		_, err := strict.postSigned(ctx, "creditchina", ep, "0123456789abcdef-shared", "k", "withdrawal", map[string]string{"a": "b"})
		require.Error(t, err, ep)
		assert.Contains(t, err.Error(), "拒绝连接", ep)
		assert.NotContains(t, err.Error(), "127.0.0.1", "no network detail is shown")
	}
	assert.Zero(t, hits.Load(), "the loopback service was never reached")

	allowed := &Activities{DB: db, Egress: egress.MustParse("127.0.0.1")}
	_, err = allowed.postSigned(ctx, "creditchina", srv.URL+"/hook", "0123456789abcdef-shared", "k", "withdrawal", map[string]string{"a": "b"})
	require.Error(t, err)
	assert.Equal(t, "渠道接口应答 HTTP 500", err.Error(), "status only, not the body")
	assert.EqualValues(t, 1, hits.Load())

	// A closed port and an open one look alike to the office.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String() + "/"
	require.NoError(t, ln.Close())
	_, err = allowed.postSigned(ctx, "creditchina", closed, "0123456789abcdef-shared", "k", "withdrawal", map[string]string{})
	require.Error(t, err)
	assert.Equal(t, "无法连接渠道接口", err.Error())

	_, err = db.Exec(`UPDATE channels SET active = false WHERE id = 'creditchina'`)
	require.NoError(t, err)
	_, err = allowed.postSigned(ctx, "creditchina", srv.URL+"/hook", "0123456789abcdef-shared", "k", "withdrawal", map[string]string{"a": "b"})
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, ErrChannelInactive, ae.Type())
	assert.False(t, ae.NonRetryable(), "retried, so calls resume when the channel is active again")
	assert.EqualValues(t, 1, hits.Load(), "an inactive channel gets no more calls")
}
