package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadsRunAsPreparedStatementsKeptPerQuery: a read prepared once answers every later call with its own
// arguments; a query past the cache's bound still runs, unprepared; an unprepared DB keeps none.
func TestReadsRunAsPreparedStatementsKeptPerQuery(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable")
	require.NoError(t, err, "the project's setup starts PostgreSQL at 127.0.0.1:5432")
	defer db.Close()
	for i := range 3 {
		var got int
		require.NoError(t, db.GetContext(ctx, &got, `SELECT $1::int * 2`, i))
		assert.Equal(t, 2*i, got)
	}
	var rows []string
	require.NoError(t, db.SelectContext(ctx, &rows, `SELECT x FROM unnest($1::text[]) AS x ORDER BY x`, "{b,a}"))
	assert.Equal(t, []string{"a", "b"}, rows)
	assert.Len(t, db.cache().stmts, 2, "one statement per query text")

	for i := len(db.cache().stmts); i < maxCachedStatements; i++ {
		require.NotNil(t, db.prepared(ctx, fmt.Sprintf("SELECT %d", i)))
	}
	var n int
	require.NoError(t, db.GetContext(ctx, &n, `SELECT 7`), "past the bound a read runs unprepared")
	assert.Equal(t, 7, n)
	assert.Len(t, db.cache().stmts, maxCachedStatements)

	db2 := &DB{DB: db.DB, Unprepared: true}
	require.NoError(t, db2.GetContext(ctx, &n, `SELECT 8`))
	assert.Equal(t, 8, n)
	assert.Nil(t, db2.stmts, "an unprepared DB keeps no statements")
}
