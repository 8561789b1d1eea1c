// Copyright ©2026 The xinyong authors. Licensed like the rest of this package (MIT, see LICENSE).

package fpdf

import "encoding/json"

// charWidths holds a font's character widths by ordinal (xinyong patch). Upstream keeps them in a
// []int of 65,536 entries for every UTF-8 font, parsed twice per document (512 KB each time); a CJK
// subset of a few hundred characters spread over the BMP needs a few kilobytes: ordinals below 256
// (the single-byte fonts' whole range) in an array, the others in a map. Widths are at most 65,535
// (the "zero width" marker), so they are kept as uint16.
type charWidths struct {
	low  *[256]uint16
	high map[int32]uint16
	n    int // one past the highest ordinal set, the length of the upstream slice
}

func newCharWidths(ws []int) charWidths {
	var cw charWidths
	for i, w := range ws {
		if w != 0 {
			cw.set(i, w)
		}
	}
	cw.n = len(ws)
	return cw
}

// at returns the width of ordinal i, 0 when unknown.
func (cw charWidths) at(i int) int {
	if i < 256 {
		if i < 0 || cw.low == nil {
			return 0
		}
		return int(cw.low[i])
	}
	return int(cw.high[int32(i)])
}

func (cw *charWidths) set(i, w int) {
	switch {
	case i < 0:
		return
	case i < 256:
		if cw.low == nil {
			cw.low = new([256]uint16)
		}
		cw.low[i] = uint16(w)
	default:
		if cw.high == nil {
			cw.high = make(map[int32]uint16)
		}
		cw.high[int32(i)] = uint16(w)
	}
	cw.n = max(cw.n, i+1)
}

// len is the length the upstream slice would have.
func (cw charWidths) len() int { return cw.n }

func (cw charWidths) slice() []int {
	out := make([]int, cw.n)
	for i := range out {
		out[i] = cw.at(i)
	}
	return out
}

// MarshalJSON and UnmarshalJSON keep the JSON font definition files' "Cw" arrays.
func (cw charWidths) MarshalJSON() ([]byte, error) { return json.Marshal(cw.slice()) }

func (cw *charWidths) UnmarshalJSON(b []byte) error {
	var ws []int
	if err := json.Unmarshal(b, &ws); err != nil {
		return err
	}
	*cw = newCharWidths(ws)
	return nil
}
