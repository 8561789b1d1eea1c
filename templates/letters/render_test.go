package letters

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pageContents returns the content stream of each page, inflated when deflated, in page order
// (fpdf writes the pages first, one stream each). Short letters store their pages (storedPages).
func pageContents(t *testing.T, pdf []byte) []string {
	t.Helper()
	var out []string
	re := regexp.MustCompile(`<<(/Filter /FlateDecode )?/Length (\d+)>>\nstream\n`)
	for _, m := range re.FindAllSubmatchIndex(pdf, -1) {
		n, err := strconv.Atoi(string(pdf[m[4]:m[5]]))
		require.NoError(t, err)
		require.LessOrEqual(t, m[1]+n, len(pdf))
		b := pdf[m[1] : m[1]+n]
		if m[2] >= 0 {
			r, err := zlib.NewReader(bytes.NewReader(b))
			require.NoError(t, err)
			b, err = io.ReadAll(r)
			require.NoError(t, err)
		}
		out = append(out, string(b))
	}
	return out
}

// TestEveryPageCarriesTheVerification: the page number, the verification hint, code and URL and
// the QR code are on every page, not only the first.
func TestEveryPageCarriesTheVerification(t *testing.T) {
	l := multiPage()
	pdf, err := Render(l)
	require.NoError(t, err)
	pages := pageCount(t, pdf)
	require.GreaterOrEqual(t, pages, 3)

	texts := strings.Split(strings.TrimSuffix(extract(t, pdf, "-layout"), "\f"), "\f")
	require.Len(t, texts, pages)
	for i, p := range texts {
		p = squeeze(p)
		assert.Contains(t, p, squeeze(verifyHint), "page %d", i+1)
		assert.Contains(t, p, squeeze(verifyLabel+l.VerifyCode), "page %d", i+1)
		assert.Contains(t, p, squeeze(urlLabel+l.VerifyURL), "page %d", i+1)
	}

	contents := pageContents(t, pdf)
	require.GreaterOrEqual(t, len(contents), pages)
	qr, err := qrBitmap(l.VerifyURL)
	require.NoError(t, err)
	path := qrPath(qr, marginL+textW-qrSize, footerTop+2, qrSize) // where the footer draws it
	for i := range pages {
		assert.Equal(t, 1, strings.Count(contents[i], path), "QR code on page %d", i+1)
	}
}

// TestSealPlace: one seal circle, dashed and light, on the page with the issuer and the date, and
// bold text synthesized on the single embedded font.
func TestSealPlace(t *testing.T) {
	l := fixtures()[KindRepairApproved]
	pdf, err := Render(l)
	require.NoError(t, err)
	contents := pageContents(t, pdf)
	pages := pageCount(t, pdf)
	texts := strings.Split(extract(t, pdf, "-layout"), "\f")
	dash := "[4.25 2.83] 0.00 d"
	for i := range pages {
		hasSeal := strings.Contains(contents[i], dash)
		assert.Equal(t, strings.Contains(squeeze(texts[i]), sealHint), hasSeal, "page %d", i+1)
		assert.Equal(t, i == pages-1, hasSeal, "the seal is on the last page")
		if hasSeal {
			// The dashed circle, a closed path of Bézier arcs, then the dash is reset before anything
			// else is drawn.
			seal := contents[i][strings.Index(contents[i], dash):]
			assert.Regexp(t, `^\[4\.25 2\.83\] 0\.00 d\n[^\n]* m\n(?:[^\n]* c\n){4,8}S\n\[\] 0\.00 d`, seal[:min(len(seal), 600)])
		}
	}
	assert.Contains(t, contents[0], " 2 Tr ", "the title is synthetic bold")
	assert.Equal(t, 1, strings.Count(string(pdf), "/Subtype /Type0"), "one embedded font")
}
