package storage

import (
	"context"
	"database/sql"
	"reflect"
	"testing"
	"time"

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

type scanLabel string

// scanKinds has a field of every kind set without database/sql's conversion, beside ones it converts.
type scanKinds struct {
	S  string       `db:"s"`
	L  scanLabel    `db:"l"`
	I  int          `db:"i"`
	I4 int32        `db:"i4"`
	F  float64      `db:"f"`
	B  bool         `db:"b"`
	T  time.Time    `db:"t"`
	NT sql.NullTime `db:"nt"`
	BS []byte       `db:"bs"`
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

	const kinds = `SELECT 'x' || i AS s, 'l' || i AS l, i AS i, i AS i4, i / 4.0::float8 AS f, i % 2 = 0 AS b,
		timestamptz '2026-12-05 08:00:00+08' + i * interval '1 hour' AS t,
		CASE WHEN i % 2 = 0 THEN timestamptz '2026-01-01 00:00:00+08' END AS nt, convert_to('字' || i, 'UTF8') AS bs
		FROM generate_series(1, 5) i ORDER BY i`
	var fastKinds, slowKinds []scanKinds
	require.NoError(t, db.SelectContext(ctx, &fastKinds, kinds))
	require.NoError(t, db.DB.SelectContext(ctx, &slowKinds, kinds))
	require.Len(t, fastKinds, 5)
	assert.Equal(t, slowKinds, fastKinds)
	assert.Equal(t, scanKinds{S: "x2", L: "l2", I: 2, I4: 2, F: 0.5, B: true, T: fastKinds[1].T,
		NT: sql.NullTime{Time: fastKinds[1].NT.Time, Valid: true}, BS: []byte("字2")}, fastKinds[1])
	assert.True(t, fastKinds[0].T.Equal(time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)))

	// A value database/sql converts (a number into a string) or refuses (NULL into a string) is what it was.
	var converted, convertedSlow []scanKinds
	require.NoError(t, db.SelectContext(ctx, &converted, `SELECT 7 AS s, 'a' AS l`))
	require.NoError(t, db.DB.SelectContext(ctx, &convertedSlow, `SELECT 7 AS s, 'a' AS l`))
	assert.Equal(t, convertedSlow, converted)
	assert.Equal(t, "7", converted[0].S)
	var refused []scanKinds
	err = db.SelectContext(ctx, &refused, `SELECT 'a' AS s UNION ALL SELECT NULL`)
	errSlow := db.DB.SelectContext(ctx, &refused, `SELECT 'a' AS s UNION ALL SELECT NULL`)
	require.Error(t, err)
	require.Error(t, errSlow)
	assert.Contains(t, err.Error(), "converting NULL to string is unsupported")
	var ids []struct {
		N int64 `db:"n"`
	}
	err = db.SelectContext(ctx, &ids, `SELECT NULL::bigint AS n`)
	require.Error(t, err, "NULL into an int64 is refused as database/sql refuses it")

	var unmapped []scanRow
	err = db.SelectContext(ctx, &unmapped, `SELECT 1 AS a, 2 AS nowhere`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing destination name nowhere")
}
