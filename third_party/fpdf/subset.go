// Copyright ©2026 The xinyong authors. Licensed like the rest of this package (MIT, see LICENSE).

package fpdf

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Patches for xinyong (see third_party/README.md): a font that is already a subset embedded as
// given, a font id that does not JSON-encode the width table, and the document's bytes without a
// copy.

// AddUTF8FontSubsetFromBytes is AddUTF8FontFromBytes for a TrueType font the caller has already cut
// down to the characters the document prints. It is embedded as given, with every character its
// cmap maps: Output neither parses it again nor cuts a second subset. Glyph ids in the PDF's
// CIDToGIDMap are the given font's own.
func (f *Fpdf) AddUTF8FontSubsetFromBytes(familyStr, styleStr string, utf8Bytes []byte) {
	familyStr = fontFamilyEscape(familyStr)
	fontkey := getFontKey(familyStr, styleStr)
	if _, ok := f.fonts[fontkey]; ok || f.err != nil {
		return
	}
	f.addFontFromBytes(familyStr, styleStr, nil, nil, utf8Bytes)
	if def, ok := f.fonts[fontkey]; ok {
		def.givenSubset = true
		f.fonts[fontkey] = def
	}
}

// givenSubset returns the font file as given and the glyph id of every used rune it maps.
func (utf *utf8FontFile) givenSubset(usedRunes map[int]int) ([]byte, map[int]int) {
	gids := make(map[int]int, len(usedRunes))
	utf.LastRune = 0
	for _, r := range usedRunes {
		utf.LastRune = max(utf.LastRune, r)
		if g := utf.charSymbolDictionary[r]; g != 0 {
			gids[r] = g
		}
	}
	return utf.fileReader.array, gids
}

// utf8FontID names a UTF-8 font by its key and its file's length and CRC-32, where upstream took
// the SHA-1 of the JSON encoding of the whole definition, a 65,536-entry width table included. The
// id is the first 8 bytes of a SHA-1 in hex: it names the font in every Tf operator, and it only
// has to tell apart the fonts of one document.
func utf8FontID(def fontDefType, ttf []byte) string {
	var b []byte
	b = append(b, def.Tp...)
	b = append(b, 0)
	b = append(b, def.Name...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(len(ttf)))
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(ttf, crc32.MakeTable(crc32.Castagnoli)))
	sum := sha1.Sum(b)
	return fmt.Sprintf("%x", sum[:8])
}

// OutputBytes closes the document and returns it without copying it into a writer. The slice is
// the document's own buffer: f must not be used afterwards.
func (f *Fpdf) OutputBytes() ([]byte, error) {
	if f.err != nil {
		return nil, f.err
	}
	if f.state < 3 {
		f.Close()
	}
	if f.err != nil {
		return nil, f.err
	}
	return f.buffer.Bytes(), nil
}
