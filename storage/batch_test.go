package storage

import (
	"context"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type batchRow struct {
	N int64  `db:"n"`
	S string `db:"s"`
}

type batchLabel string

// A batch reads what its reads read one by one, in one round trip: every kind of argument written as a literal
// (quotes, backslashes, times, NULL, arrays, named strings), empty results between others, its post-processing,
// its statements prepared once per connection and prepared again when the connection lost them, and a failing
// read reported by name without spoiling the connection.
func TestBatchReadsWhatItsReadsReadAlone(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable")
	require.NoError(t, err, "the project's setup starts PostgreSQL at 127.0.0.1:5432")
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: the second batch finds its statements prepared

	at := time.Date(2026, 12, 5, 17, 30, 0, 123456000, time.FixedZone("CST", 8*3600))
	type read struct {
		query string
		args  []any
	}
	reads := []read{
		{`SELECT i AS n, $1 || i AS s FROM generate_series(1, $2::int) i ORDER BY i`, []any{`O'Brien\x`, 5}},
		{`SELECT 1 AS n, 'none' AS s WHERE $1::bool`, []any{false}},
		{`SELECT extract(epoch FROM $1::timestamptz)::bigint AS n, COALESCE($2::text, 'null') AS s`, []any{at, nil}},
		{`SELECT cardinality($1::text[]) AS n, $2::text AS s`, []any{pq.StringArray{"a", "b,c", `d"e`}, batchLabel("标签")}},
		{`SELECT $1::bigint AS n, '' AS s`, []any{int64(1) << 40}},
	}
	want := make([][]batchRow, len(reads))
	for i, r := range reads {
		require.NoError(t, db.DB.SelectContext(ctx, &want[i], r.query, r.args...), r.query)
	}
	require.Len(t, want[0], 5)
	require.Empty(t, want[1])
	assert.Equal(t, at.Unix(), want[2][0].N)

	run := func() [][]batchRow {
		t.Helper()
		got := make([][]batchRow, len(reads))
		trimmed := false
		var b Batch
		for i, r := range reads {
			var after func() error
			if i == 0 {
				after = func() error { trimmed = len(got[0]) == 5; got[0] = firstN(got[0], 5); return nil }
			}
			b.add("read", &got[i], r.query, r.args, after)
		}
		require.NoError(t, db.Run(ctx, &b))
		assert.True(t, trimmed, "post-processing runs once the rows are read")
		assert.Empty(t, b.reads, "a batch is emptied by running it")
		return got
	}
	assert.Equal(t, want, run())

	var prepared int
	require.NoError(t, db.DB.GetContext(ctx, &prepared,
		`SELECT count(*) FROM pg_prepared_statements WHERE name LIKE '`+batchPrefix+`%'`))
	assert.Equal(t, len(reads), prepared)
	assert.Equal(t, want, run(), "the second batch executes what the first prepared")
	require.NoError(t, db.DB.GetContext(ctx, &prepared,
		`SELECT count(*) FROM pg_prepared_statements WHERE name LIKE '`+batchPrefix+`%'`))
	assert.Equal(t, len(reads), prepared, "nothing is prepared twice")

	_, err = db.DB.ExecContext(ctx, `DEALLOCATE ALL`)
	require.NoError(t, err)
	assert.Equal(t, want, run(), "statements the connection lost are prepared again")

	var a, bad []batchRow
	var b Batch
	b.add("first read", &a, `SELECT 1 AS n, 'x' AS s`, nil, nil)
	b.add("failing read", &bad, `SELECT 1 / ($1::int - 1) AS n, 'y' AS s`, []any{1}, nil)
	err = db.Run(ctx, &b)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "failing read")
	assert.Contains(t, err.Error(), "division by zero")
	assert.Equal(t, want, run(), "the connection serves the next batch")

	// An argument that cannot be written as a literal: the reads run one by one, as before.
	var c1, c2 []batchRow
	b.add("binary", &c1, `SELECT length($1::bytea) AS n, 'z' AS s`, []any{[]byte{0xff, 0x00}}, nil)
	b.add("plain", &c2, `SELECT 2 AS n, 'w' AS s`, nil, nil)
	require.NoError(t, db.Run(ctx, &b))
	assert.Equal(t, []batchRow{{2, "z"}}, c1)
	assert.Equal(t, []batchRow{{2, "w"}}, c2)
}

func TestLiteralsAreQuotedOrRefused(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
		ok   bool
	}{
		{"a'b", `'a''b'`, true},
		{`a\b`, ` E'a\\b'`, true},
		{"a\x00b", "", false},
		{7, "'7'", true},
		{int64(-3), "'-3'", true},
		{true, "'true'", true},
		{nil, "NULL", true},
		{(*pq.StringArray)(nil), "NULL", true},
		{batchLabel("x"), "'x'", true},
		{3.5, "", false},
		{struct{}{}, "", false},
	} {
		got, ok := literal(c.v)
		assert.Equal(t, c.ok, ok, "%#v", c.v)
		assert.Equal(t, c.want, got, "%#v", c.v)
	}
}
