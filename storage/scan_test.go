package storage

import (
	"context"
	"database/sql"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type ScanInner struct {
	B string         `db:"b"`
	C sql.NullString `db:"c"`
}

type scanRow struct {
	A int64 `db:"a"`
	ScanInner
	D *int `db:"d"`
}

type scanThroughPointer struct {
	A int64 `db:"a"`
	*ScanInner
}

// Rows are read in place into a slice of structs as sqlx read them: the same values, embedded fields, NULLs,
// nothing for no rows, and sqlx's own reading (and its error for an unmapped column) for what is not a plain struct.
func TestListsAreReadAsSqlxReadThem(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable")
	require.NoError(t, err, "the project's setup starts PostgreSQL at 127.0.0.1:5432")
	defer db.Close()
	const q = `SELECT i AS a, 'b' || i AS b, CASE WHEN i % 2 = 0 THEN 'c' END AS c, CASE WHEN i % 3 = 0 THEN i END AS d
		FROM generate_series(1, $1::int) i ORDER BY i`

	var fast, slow []scanRow
	require.NoError(t, db.SelectContext(ctx, &fast, q, 20))
	require.NoError(t, db.DB.SelectContext(ctx, &slow, q, 20))
	require.Len(t, fast, 20)
	assert.Equal(t, slow, fast)
	assert.Equal(t, "b7", fast[6].B)
	assert.False(t, fast[6].C.Valid)
	require.NotNil(t, fast[5].D)
	assert.Equal(t, 6, *fast[5].D)
	_, planned := scanPlans.Load(scanPlanKey{reflect.TypeFor[scanRow](), "a,b,c,d"})
	assert.True(t, planned)

	var none []scanRow
	require.NoError(t, db.SelectContext(ctx, &none, q, 0))
	assert.Nil(t, none, "no rows leave the slice as it was")

	var viaPointer []scanThroughPointer
	require.NoError(t, db.SelectContext(ctx, &viaPointer, `SELECT 1 AS a, 'x' AS b, NULL::text AS c`))
	require.Len(t, viaPointer, 1)
	assert.Equal(t, "x", viaPointer[0].B, "an embedded pointer is sqlx's to allocate")

	var unmapped []scanRow
	err = db.SelectContext(ctx, &unmapped, `SELECT 1 AS a, 2 AS nowhere`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing destination name nowhere")
}
