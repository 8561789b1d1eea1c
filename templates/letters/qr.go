package letters

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// qrBitmap encodes s as a QR code (error correction level M, which survives a stamp or a fold
// better than L) without its quiet zone; the footer leaves white space around it instead.
func qrBitmap(s string) ([][]bool, error) {
	q, err := qrcode.New(s, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("letters: QR code for %q: %w", s, err)
	}
	q.DisableBorder = true
	return q.Bitmap(), nil
}
