package fpdf

import (
	"bytes"
	"compress/zlib"
	"io"
	"math/rand"
	"testing"
)

// TestCIDToGIDMapStream checks the direct encoding against the array upstream deflated.
func TestCIDToGIDMapStream(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	cases := []map[int]int{
		{},
		{0: 1},
		{65535: 0x1234},
		{0: 0, 1: 0x100, 2: 0xFF, 3: 0x0100, 65535: 7},
		{32: 1, 33: 2, 34: 3, 0x4E00: 0x200, 0x4E01: 4, 0xFF1A: 300},
	}
	for range 50 {
		m := map[int]int{}
		for range rng.Intn(600) {
			m[rng.Intn(65536)] = rng.Intn(65536)
		}
		cases = append(cases, m)
	}
	for n, m := range cases {
		want := make([]byte, cidMapLen)
		for cc, g := range m {
			want[2*cc], want[2*cc+1] = byte(g>>8), byte(g)
		}
		zr, err := zlib.NewReader(bytes.NewReader(cidToGIDMapStream(m)))
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		got, err := io.ReadAll(zr) // checks the Adler-32 too
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: map differs", n)
		}
	}
}
