package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"xinyong/storage"
	"xinyong/storage/pgtest"
)

// TestTokenUseIsRecordedToTheMinute: a token authenticates its user and records its use; calls within the
// minute after do not write again; a revoked token authenticates no one.
func TestTokenUseIsRecordedToTheMinute(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	require.NoError(t, db.SeedDemo(ctx))
	u, err := db.UserByLogin(ctx, "sthjj")
	require.NoError(t, err)
	tok, at, err := db.CreateToken(ctx, u.ID, "test")
	require.NoError(t, err)

	got, err := db.TokenUser(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)
	assert.Equal(t, "sthjj", got.Login)
	used := func() (v string) {
		require.NoError(t, db.GetContext(ctx, &v, `SELECT COALESCE(last_used_at::text, '') FROM api_tokens WHERE id = $1`, at.ID))
		return v
	}
	first := used()
	require.NotEmpty(t, first, "the first use is recorded")
	_, err = db.TokenUser(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, first, used(), "a use within the minute writes nothing")

	_, err = db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, at.ID)
	require.NoError(t, err)
	before := used()
	_, err = db.TokenUser(ctx, tok)
	require.NoError(t, err)
	assert.NotEqual(t, before, used(), "a use a minute later is recorded again")

	require.NoError(t, db.RevokeToken(ctx, at.ID, 0))
	_, err = db.TokenUser(ctx, tok)
	assert.True(t, errors.Is(err, storage.ErrNotFound), "%v", err)
}
