package letters

import (
	"fmt"

	"rsc.io/qr"
)

// qrBitmap encodes s as a QR code (error correction level M, which survives a stamp or a fold
// better than L) without its quiet zone; the footer leaves white space around it instead.
//
// rsc.io/qr uses one mask pattern rather than scoring all eight: every reader takes the mask from
// the code's format bits, and the encoder takes 20 µs where github.com/skip2/go-qrcode's scoring
// took 300 µs and 120 KB, a third of a letter (issue 17).
func qrBitmap(s string) ([][]bool, error) {
	c, err := qr.Encode(s, qr.M)
	if err != nil {
		return nil, fmt.Errorf("letters: QR code for %q: %w", s, err)
	}
	cells := make([]bool, c.Size*c.Size)
	bm := make([][]bool, c.Size)
	for y := range bm {
		bm[y] = cells[y*c.Size : (y+1)*c.Size : (y+1)*c.Size]
		for x := range bm[y] {
			bm[y][x] = c.Black(x, y)
		}
	}
	return bm, nil
}
