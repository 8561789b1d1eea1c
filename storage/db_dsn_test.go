package storage

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSessionSettingsAreAddedToEveryDSNForm(t *testing.T) {
	assert.Equal(t, "host=127.0.0.1 dbname=x idle_in_transaction_session_timeout=60000 binary_parameters=yes",
		withSessionSettings("host=127.0.0.1 dbname=x"))
	assert.Equal(t, "postgres://u@127.0.0.1:5432/x?binary_parameters=yes&idle_in_transaction_session_timeout=60000&sslmode=disable",
		withSessionSettings("postgres://u@127.0.0.1:5432/x?sslmode=disable"))
	assert.Equal(t, "dbname=x idle_in_transaction_session_timeout=5000 binary_parameters=yes",
		withSessionSettings("dbname=x idle_in_transaction_session_timeout=5000"), "a DSN's own value stays")
}

// TestConnectionsCarryTheIdleTransactionTimeout: the server ends a session left idle in its transaction.
func TestConnectionsCarryTheIdleTransactionTimeout(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable")
	require.NoError(t, err, "the project's setup starts PostgreSQL at 127.0.0.1:5432")
	defer db.Close()
	var v string
	require.NoError(t, db.GetContext(ctx, &v, `SHOW idle_in_transaction_session_timeout`))
	assert.Equal(t, "1min", v)
}

// TestJSONAndBytesRoundTripWithBinaryParameters: with binary_parameters, JSON for a jsonb column goes as text and
// a PDF's bytes as they are; both read back unchanged.
func TestJSONAndBytesRoundTripWithBinaryParameters(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable")
	require.NoError(t, err)
	defer db.Close()
	raw := []byte{0, 1, 2, 0xff, '\\', 'x'}
	var back []byte
	require.NoError(t, db.GetContext(ctx, &back, `SELECT $1::bytea`, raw))
	assert.Equal(t, raw, back)
	var doc string
	require.NoError(t, db.GetContext(ctx, &doc, `SELECT ($1::jsonb)->>'名'`, `{"名":"值"}`))
	assert.Equal(t, "值", doc)
}
