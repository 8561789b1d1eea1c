// Copyright ©2026 The xinyong authors. Licensed like the rest of this package (MIT, see LICENSE).

package fpdf

import "encoding/json"

// charWidths holds a font's character widths by ordinal (xinyong patch). Upstream keeps them in a
// []int of 65,536 entries for every UTF-8 font, parsed twice per document (512 KB each time); a CJK
// subset of a few hundred characters touches a few dozen 256-entry pages instead. Widths are at
// most 65,535 (the "zero width" marker), so a page holds uint16.
type charWidths struct {
	pages []*[256]uint16
	n     int // one past the highest ordinal set, the length of the upstream slice
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
	if i < 0 || i>>8 >= len(cw.pages) {
		return 0
	}
	p := cw.pages[i>>8]
	if p == nil {
		return 0
	}
	return int(p[i&0xFF])
}

func (cw *charWidths) set(i, w int) {
	if i < 0 {
		return
	}
	for i>>8 >= len(cw.pages) {
		cw.pages = append(cw.pages, nil)
	}
	p := cw.pages[i>>8]
	if p == nil {
		p = new([256]uint16)
		cw.pages[i>>8] = p
	}
	p[i&0xFF] = uint16(w)
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
