package letters

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// qrBlocks reads back the QR codes a page content stream fills ("q 0 g … re … f Q"): each as its modules,
// from the rectangles' positions, given the module count n of the expected code.
func qrBlocks(t *testing.T, content string, n int) (footer, body [][][]bool) {
	t.Helper()
	k := 72 / 25.4
	block := regexp.MustCompile(`(?s)q 0 g\n(.*?)f Q\n`)
	rect := regexp.MustCompile(`([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re\n`)
	for _, b := range block.FindAllStringSubmatch(content, -1) {
		type rc struct{ x, y, w, h float64 }
		var rs []rc
		minX, maxTop := math.Inf(1), math.Inf(-1)
		for _, m := range rect.FindAllStringSubmatch(b[1], -1) {
			var v [4]float64
			for i := range v {
				f, err := strconv.ParseFloat(m[i+1], 64)
				require.NoError(t, err)
				v[i] = f / k
			}
			r := rc{v[0], v[1], v[2], v[3]}
			rs = append(rs, r)
			minX, maxTop = min(minX, r.x), max(maxTop, r.y+r.h)
		}
		if len(rs) == 0 {
			continue
		}
		cell := rs[0].h - 0.02 // rows overlap by 0.02 mm
		bm := make([][]bool, n)
		for i := range bm {
			bm[i] = make([]bool, n)
		}
		for _, r := range rs {
			row := int(math.Round((maxTop - (r.y + r.h)) / cell))
			col := int(math.Round((r.x - minX) / cell))
			for j := range int(math.Round(r.w / cell)) {
				if row < n && col+j < n {
					bm[row][col+j] = true
				}
			}
		}
		if math.Abs(minX-(marginL+textW-qrSize)) < 1 { // where the footer draws the verification QR code
			footer = append(footer, bm)
		} else {
			body = append(body, bm)
		}
	}
	return footer, body
}

// TestRepairNoticePrintsTheActivationQRCode: an activation code on the 信用修复告知书 comes with a QR code
// of the activation page with the USCC and the code filled in, and a caption beside it that says so.
func TestRepairNoticePrintsTheActivationQRCode(t *testing.T) {
	d := typicalRepairNoticeData()
	d.VerifyCode, d.VerifyURL = "X9K3-6X93-XQ6T", "https://xinyong.example.cn/verify/X9K3-6X93-XQ6T"
	d.ActivationCode, d.ActivationURL = "ABCD-EFGH-JK23", "https://xinyong.example.cn/activate?uscc="+rareUSCC
	d.ActivationExpires = day(2026, 6, 1)
	l := RepairNotice(d)
	link := "https://xinyong.example.cn/activate?code=ABCD-EFGH-JK23&uscc=" + rareUSCC
	require.NotNil(t, l.Scan)
	assert.Equal(t, link, l.Scan.URL)
	pdf, err := Render(l)
	require.NoError(t, err)

	text := squeeze(extract(t, pdf, "-raw"))
	assert.Contains(t, text, squeeze(activationScanCaption))
	assert.Contains(t, text, "ABCD-EFGH-JK23")

	want, err := qrBitmap(link)
	require.NoError(t, err)
	var found int
	for _, c := range pageContents(t, pdf) {
		_, body := qrBlocks(t, c, len(want))
		for _, bm := range body {
			assert.Equal(t, want, bm, "the body's QR code encodes the activation page with the code")
			found++
		}
	}
	assert.Equal(t, 1, found, "one activation QR code in the letter")

	// Without a code, no QR code in the body and no caption.
	d.ActivationCode, d.ActivationURL = "", ""
	l = RepairNotice(d)
	assert.Nil(t, l.Scan)
	pdf, err = Render(l)
	require.NoError(t, err)
	assert.NotContains(t, squeeze(extract(t, pdf, "-raw")), squeeze(activationScanCaption))
	for _, c := range pageContents(t, pdf) {
		_, body := qrBlocks(t, c, len(want))
		assert.Empty(t, body)
	}
	assert.True(t, strings.HasPrefix(ActivationLink("http://x.test/activate?uscc=1", "AB"), "http://x.test/activate?"))
}
