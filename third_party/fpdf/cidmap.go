// Copyright ©2026 The xinyong authors. Licensed like the rest of this package (MIT, see LICENSE).

package fpdf

import (
	"encoding/binary"
	"slices"
)

// xinyong patch: the CIDToGIDMap of a UTF-8 font is 65,536 two-byte glyph ids of which a document
// uses a few hundred. Upstream filled a 128 KB array and ran it through zlib (a tenth of a
// millisecond and 128 KB per font); cidToGIDMapStream writes the same bytes' zlib stream straight
// from the entries: one block of fixed Huffman codes, each run of zeros as a zero literal followed
// by copies at distance 1.

const cidMapLen = 256 * 256 * 2

// SetFontCompression chooses whether UTF-8 font files are embedded deflated (the default, as
// upstream) or stored. Deflating a font subset of 100 KB takes about a millisecond and saves about
// a quarter of its size.
func (f *Fpdf) SetFontCompression(on bool) { f.storeFonts = !on }

// Length codes 257..285 of RFC 1951 section 3.2.5: base length and extra bits.
var (
	lengthBase  = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
)

type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint
}

// bits appends the n low bits of v, least significant first (data elements and extra bits).
func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	for w.nacc >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nacc -= 8
	}
}

// fixedCodes holds the fixed Huffman code of each literal/length symbol, bit-reversed for the
// least-significant-first stream, with its length in the top byte.
var fixedCodes = func() (t [288]uint32) {
	for s := range t {
		var code, n uint32
		switch {
		case s < 144:
			code, n = 0x30+uint32(s), 8
		case s < 256:
			code, n = 0x190+uint32(s-144), 9
		case s < 280:
			code, n = uint32(s-256), 7
		default:
			code, n = 0xC0+uint32(s-280), 8
		}
		var rev uint32
		for i := range n {
			rev |= (code >> i & 1) << (n - 1 - i)
		}
		t[s] = n<<24 | rev
	}
	return t
}()

// symbol appends the fixed Huffman code of a literal/length symbol.
func (w *bitWriter) symbol(s int) {
	c := fixedCodes[s]
	w.bits(uint64(c&0xFFFFFF), uint(c>>24))
}

// zeros appends n zero bytes; prevZero tells whether the byte before them is a zero.
func (w *bitWriter) zeros(n int, prevZero bool) {
	if n > 0 && !prevZero {
		w.symbol(0)
		n--
	}
	for n > 0 {
		l := min(n, 258)
		if l < 3 {
			for range l {
				w.symbol(0)
			}
			return
		}
		i := len(lengthBase) - 1
		for lengthBase[i] > l {
			i--
		}
		w.symbol(257 + i)
		w.bits(uint64(l-lengthBase[i]), lengthExtra[i])
		w.bits(0, 5) // distance code 0: distance 1
		n -= l
	}
}

// cidToGIDMapStream returns the zlib stream of the 128 KB CIDToGIDMap that maps each CID of m to
// its glyph id (big-endian) and every other CID to 0.
func cidToGIDMapStream(m map[int]int) []byte {
	cids := make([]int, 0, len(m))
	for cid := range m {
		if cid >= 0 && cid < cidMapLen/2 {
			cids = append(cids, cid)
		}
	}
	slices.Sort(cids)
	w := bitWriter{out: make([]byte, 0, 64+4*len(cids))}
	w.out = append(w.out, 0x78, 0x01) // zlib header: deflate, 32 KB window, no dictionary
	w.bits(1, 1)                      // BFINAL
	w.bits(1, 2)                      // BTYPE 01: fixed Huffman codes
	// Adler-32 of the map: a = 1 + Σ d_i and b = Σ_k a_k = n + Σ d_i·(n-i), over the non-zero
	// bytes d_i at offsets i of the n bytes.
	var a, b uint64 = 1, cidMapLen
	pos, prevZero := 0, true
	for _, cid := range cids {
		g := m[cid]
		at := 2 * cid
		w.zeros(at-pos, prevZero && pos > 0)
		hi, lo := byte(g>>8), byte(g)
		w.symbol(int(hi))
		w.symbol(int(lo))
		for i, d := range [2]byte{hi, lo} {
			a += uint64(d)
			b += uint64(d) * uint64(cidMapLen-(at+i))
		}
		pos, prevZero = at+2, lo == 0
	}
	w.zeros(cidMapLen-pos, prevZero && pos > 0)
	w.symbol(256) // end of block
	if w.nacc > 0 {
		w.bits(0, 8-w.nacc)
	}
	return binary.BigEndian.AppendUint32(w.out, uint32(b%65521)<<16|uint32(a%65521))
}
