package storage

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// A scratch hands its rows to the caller's slice (appended after what it held; none leave nil as nil) and comes
// back empty for the next read; one grown past scratchKept becomes the caller's slice itself.
func TestScratchHandsItsRowsOver(t *testing.T) {
	type row struct{ A, B string }
	typ := reflect.TypeOf([]row{})
	fill := func(n int) scratch {
		sc := takeScratch(typ)
		require.Zero(t, sc.rows.Len())
		for i := range n {
			sc.rows.Set(reflect.Append(sc.rows, reflect.ValueOf(row{A: string(rune('a' + i%26))})))
		}
		return sc
	}
	var none []row
	fill(0).handTo(reflect.ValueOf(&none).Elem())
	require.Nil(t, none)

	got := []row{{A: "kept"}}
	fill(2).handTo(reflect.ValueOf(&got).Elem())
	require.Equal(t, []row{{A: "kept"}, {A: "a"}, {A: "b"}}, got)

	big := int(scratchKept/reflect.TypeOf(row{}).Size()) + 1
	var all []row
	sc := fill(big)
	sc.handTo(reflect.ValueOf(&all).Elem())
	require.Len(t, all, big)
	require.Equal(t, sc.rows.Index(0).Addr().UnsafePointer(), reflect.ValueOf(all).Index(0).Addr().UnsafePointer())
}
