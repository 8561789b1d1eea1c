package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// twoProcesses opens two handles on one fresh database, as two API processes would, each with its credentials
// cache listening.
func twoProcesses(t *testing.T) (*storage.DB, *storage.DB) {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	open := func() *storage.DB {
		db, err := storage.Open(ctx, dsn)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		db.SetMaxIdleConns(2)
		db.CacheCredentials()
		require.Eventually(t, db.CredentialCacheLive, 10*time.Second, 10*time.Millisecond, "the cache listens")
		return db
	}
	a, b := open(), open()
	require.NoError(t, a.SeedDemo(ctx))
	return a, b
}

// usedToken issues a token for the demo department user and uses it once (so its user is cached).
func usedToken(t *testing.T, db *storage.DB) (string, storage.APIToken, storage.User) {
	t.Helper()
	ctx := context.Background()
	u, err := db.UserByLogin(ctx, "sthjj")
	require.NoError(t, err)
	tok, at, err := db.CreateToken(ctx, u.ID, "test")
	require.NoError(t, err)
	_, err = db.TokenUser(ctx, tok)
	require.NoError(t, err)
	return tok, at, u
}

// refused tells whether db refuses tok now.
func refused(db *storage.DB, tok string) func() bool {
	return func() bool {
		_, err := db.TokenUser(context.Background(), tok)
		return errors.Is(err, storage.ErrNotFound)
	}
}

// TestCredentialCacheServesAndForgets: a token's user is read once and then served from the process (its last use
// is not asked again within the minute); a revocation, an expiry or a disabled account made by another process
// reaches it by PostgreSQL's notification, and one made by this process before the call returns.
func TestCredentialCacheServesAndForgets(t *testing.T) {
	ctx := context.Background()
	a, b := twoProcesses(t)
	tok, at, u := usedToken(t, a)

	// Served from the cache: a last use set back by SQL (which does not notify) is not written again.
	_, err := a.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, at.ID)
	require.NoError(t, err)
	var before time.Time
	require.NoError(t, a.GetContext(ctx, &before, `SELECT last_used_at FROM api_tokens WHERE id = $1`, at.ID))
	got, err := a.TokenUser(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, "sthjj", got.Login)
	var after time.Time
	require.NoError(t, a.GetContext(ctx, &after, `SELECT last_used_at FROM api_tokens WHERE id = $1`, at.ID))
	assert.Equal(t, before, after, "the second call did not read the token from the database")

	// Another process revokes it: the notification empties this process's cache.
	_, err = b.TokenUser(ctx, tok)
	require.NoError(t, err)
	require.NoError(t, b.RevokeToken(ctx, at.ID, 0))
	assert.True(t, refused(b, tok)(), "the revoking process refuses it at once")
	require.Eventually(t, refused(a, tok), 5*time.Second, 5*time.Millisecond, "the other process refuses it after the notification")

	// An expiry set by SQL in another process.
	tok2, at2, err := a.CreateToken(ctx, u.ID, "test")
	require.NoError(t, err)
	_, err = a.TokenUser(ctx, tok2)
	require.NoError(t, err)
	_, err = b.ExecContext(ctx, `UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, at2.ID)
	require.NoError(t, err)
	require.Eventually(t, refused(a, tok2), 5*time.Second, 5*time.Millisecond)

	// A disabled account, by another process: its tokens and sessions stop.
	tok3, _, err := a.CreateToken(ctx, u.ID, "test")
	require.NoError(t, err)
	cookie, _, err := a.CreateSession(ctx, u.ID, time.Hour, "127.0.0.1")
	require.NoError(t, err)
	_, err = a.TokenUser(ctx, tok3)
	require.NoError(t, err)
	_, _, err = a.SessionUser(ctx, cookie)
	require.NoError(t, err)
	_, err = b.ExecContext(ctx, `UPDATE users SET disabled = true WHERE id = $1`, u.ID)
	require.NoError(t, err)
	require.Eventually(t, refused(a, tok3), 5*time.Second, 5*time.Millisecond)
	_, _, err = a.SessionUser(ctx, cookie)
	assert.True(t, errors.Is(err, storage.ErrNotFound), "%v", err)
	_, err = b.ExecContext(ctx, `UPDATE users SET disabled = false WHERE id = $1`, u.ID)
	require.NoError(t, err)

	// This process's own logout: refused on the next call, without waiting for the notification.
	cookie2, _, err := a.CreateSession(ctx, u.ID, time.Hour, "127.0.0.1")
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, _, err := a.SessionUser(ctx, cookie2); return err == nil }, 5*time.Second, 5*time.Millisecond)
	_, _, err = a.SessionUser(ctx, cookie2)
	require.NoError(t, err)
	require.NoError(t, a.RevokeSession(ctx, cookie2))
	_, _, err = a.SessionUser(ctx, cookie2)
	assert.True(t, errors.Is(err, storage.ErrNotFound), "%v", err)
}

// TestCredentialCacheKeepsNoReadFromBeforeAChange: a read of a credential that began before the cache was emptied
// may have seen it before the change, so it is not kept.
func TestCredentialCacheKeepsNoReadFromBeforeAChange(t *testing.T) {
	a, _ := twoProcesses(t)
	gen, kept := a.KeepCredentialUnder(0, storage.User{Login: "x"})
	require.False(t, kept, "a read from an older generation is dropped")
	_, kept = a.KeepCredentialUnder(gen, storage.User{Login: "x"})
	require.True(t, kept, "a read of the current generation is kept")
}

// TestCredentialCacheAcrossALostConnection: while the listening connection is gone nothing is served from the
// cache, and a revocation made then is seen; once it is back the cache is used again.
func TestCredentialCacheAcrossALostConnection(t *testing.T) {
	ctx := context.Background()
	a, b := twoProcesses(t)
	tok, at, _ := usedToken(t, a)

	var killed int
	require.NoError(t, b.GetContext(ctx, &killed, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'xinyong-credentials'`))
	require.Equal(t, 2, killed, "both processes' listening connections")
	require.NoError(t, b.RevokeToken(ctx, at.ID, 0))
	// Well within credMaxAge: the lost connection, not the entry's age, ends the entry.
	require.Eventually(t, refused(a, tok), 5*time.Second, 5*time.Millisecond, "a revocation made while the listener was away")

	require.Eventually(t, a.CredentialCacheLive, 15*time.Second, 10*time.Millisecond, "the listener reconnects")
	tok2, at2, _ := usedToken(t, a)
	require.NoError(t, b.RevokeToken(ctx, at2.ID, 0))
	require.Eventually(t, refused(a, tok2), 5*time.Second, 5*time.Millisecond, "notifications arrive again after the reconnection")
}
