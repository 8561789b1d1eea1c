package letters

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFontCoversRareNameCharacters(t *testing.T) {
	fs, err := loadFonts()
	require.NoError(t, err)
	for _, r := range "燊堃喆昇啰〓" {
		assert.True(t, fs.printable(r), "%c", r)
	}
	assert.False(t, fs.printable(0x20BB7), "gofpdf cannot address characters outside the BMP")
	assert.Equal(t, "〓", fs.placeholder())
}

// TestSubsetIsAFaithfulFont parses a subset back and checks that each character maps to a glyph with
// the same outline bytes and advance width as in the full font.
func TestSubsetIsAFaithfulFont(t *testing.T) {
	fs, err := loadFonts()
	require.NoError(t, err)
	for _, full := range []*ttFont{fs.regular} {
		text := "信用修复告知书燊堃喆昇啰，。（）《》0123456789ABCxyz"
		var set runeSet
		set.addString(text)
		set.add('☃') // a rune the font may lack must be skipped, not fail
		b, err := full.subset(set.runes())
		require.NoError(t, err)
		sub, err := parseTTF(b)
		require.NoError(t, err)
		assert.Less(t, sub.numGlyphs, 80)
		assert.Less(t, len(b), 100<<10)
		for _, r := range text {
			g, h := full.gid[r], sub.gid[r]
			require.NotZero(t, h, "%c missing from subset", r)
			assert.Equal(t, full.cw[r], sub.cw[r], "%c width", r)
			fullGlyph := full.tables["glyf"][full.loca[g]:full.loca[g+1]]
			subGlyph := sub.tables["glyf"][sub.loca[h]:sub.loca[h+1]]
			if len(fullGlyph) >= 2 && int16(uint16(fullGlyph[0])<<8|uint16(fullGlyph[1])) >= 0 {
				// Simple glyphs are copied verbatim (plus padding); composites get new component ids.
				assert.True(t, bytes.HasPrefix(subGlyph, fullGlyph), "%c outline", r)
			}
		}
		assert.Zero(t, sub.gid['啊'], "characters not asked for are not in the subset")

		again, err := full.subset(set.runes())
		require.NoError(t, err)
		assert.Equal(t, b, again, "subsetting is deterministic")
	}
}

func TestSubsetKeepsCompositeComponents(t *testing.T) {
	// A font built by hand: glyph 1 is a composite of glyph 2, mapped from 'A'.
	simple := []byte{0, 1, 0, 0, 0, 0, 0, 10, 0, 10, 0, 0, 0, 0, 1, 0, 0}             // 1 contour, 1 point
	composite := []byte{0xFF, 0xFF, 0, 0, 0, 0, 0, 10, 0, 10, 0x00, 0x02, 0, 2, 0, 0} // ARGS_ARE_XY_VALUES, glyph 2
	for len(simple)%4 != 0 {
		simple = append(simple, 0)
	}
	glyf := append(append([]byte{}, composite...), simple...)
	loca := be16(nil, 0, 0, uint16(len(composite)/2), uint16(len(glyf)/2))
	font := testFont(t, glyf, loca, 3, map[rune]uint16{'A': 1})
	b, err := font.subset([]rune{'A'})
	require.NoError(t, err)
	sub, err := parseTTF(b)
	require.NoError(t, err)
	require.Equal(t, 3, sub.numGlyphs, ".notdef, the composite and its component")
	g := sub.gid['A']
	data := sub.tables["glyf"][sub.loca[g]:sub.loca[g+1]]
	component := uint16(data[12])<<8 | uint16(data[13])
	assert.Equal(t, simple, sub.tables["glyf"][sub.loca[component]:sub.loca[component+1]])
}

// testFont assembles a minimal TrueType font from a glyf table, a short loca table and a cmap.
func testFont(t *testing.T, glyf, loca []byte, numGlyphs int, cmap map[rune]uint16) *ttFont {
	t.Helper()
	head := make([]byte, 54)
	head[18], head[19] = 0x03, 0xE8 // unitsPerEm 1000
	hhea := make([]byte, 36)
	hhea[35] = byte(numGlyphs)
	maxp := make([]byte, 32)
	maxp[5] = byte(numGlyphs)
	var hmtx []byte
	for range numGlyphs {
		hmtx = be16(hmtx, 500, 0)
	}
	var starts, ends, deltas []uint16
	for r, g := range cmap {
		starts, ends, deltas = append(starts, uint16(r)), append(ends, uint16(r)), append(deltas, g-uint16(r))
	}
	starts, ends, deltas = append(starts, 0xFFFF), append(ends, 0xFFFF), append(deltas, 1)
	seg := len(starts)
	c := be16(nil, 0, 1, 3, 1, 0, 12, 4, uint16(16+8*seg), 0, uint16(2*seg), 0, 0, 0)
	c = be16(be16(be16(be16(c, ends...), 0), starts...), deltas...)
	c = append(c, make([]byte, 2*seg)...)
	f, err := parseTTF(assemble(map[string][]byte{
		"head": head, "hhea": hhea, "maxp": maxp, "hmtx": hmtx, "loca": loca,
		"cmap": c, "OS/2": make([]byte, 96), "name": make([]byte, 6), "post": make([]byte, 32),
	}, "glyf", (len(glyf)+3)&^3, func(d []byte) { copy(d, glyf) }))
	require.NoError(t, err)
	return f
}
