package letters

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// extract runs pdftotext on pdf with the given mode flag ("-layout" or "-raw").
func extract(t *testing.T, pdf []byte, mode string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	path := filepath.Join(t.TempDir(), "letter.pdf")
	require.NoError(t, os.WriteFile(path, pdf, 0o600))
	out, err := exec.Command("pdftotext", mode, "-enc", "UTF-8", path, "-").Output()
	require.NoError(t, err, "pdftotext")
	return string(out)
}

func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

var pageNumber = regexp.MustCompile(`第\d+页共\d+页`)

// bodyText is the extracted text without whitespace and without the footer, which a paragraph that
// crosses a page break would otherwise have in its middle.
func bodyText(l Letter, text string) string {
	s := squeeze(text)
	s = pageNumber.ReplaceAllString(s, "")
	for _, f := range []string{verifyHint, verifyLabel + l.VerifyCode, urlLabel + l.VerifyURL} {
		s = strings.ReplaceAll(s, squeeze(f), "")
	}
	return s
}

// assertInOrder checks that every want appears whole (no character dropped or reordered) and that
// they appear in the given order.
func assertInOrder(t *testing.T, text string, wants []string) {
	t.Helper()
	at := 0
	for _, w := range wants {
		w = squeeze(w)
		if w == "" {
			continue
		}
		i := strings.Index(text[at:], w)
		if !assert.GreaterOrEqual(t, i, 0, "text missing or out of order: %q", w) {
			continue
		}
		at += i + len(w)
	}
}

func paragraphsOf(l Letter) []string {
	var ps []string
	if l.Addressee != "" {
		ps = append(ps, l.Addressee+"：")
	}
	ps = append(ps, l.Paragraphs...)
	ps = append(ps, l.Notes...)
	return append(ps, l.Closing)
}

func cellsOf(l Letter) []string {
	var cs []string
	for _, f := range l.Facts {
		cs = append(cs, f.Label, f.Value)
	}
	if l.Table != nil {
		cs = append(cs, l.Table.Headers...)
		for _, row := range l.Table.Rows {
			cs = append(cs, row...)
		}
	}
	return cs
}

func pageCount(t testing.TB, pdf []byte) int {
	t.Helper()
	m := regexp.MustCompile(`/Type /Pages\s*/Kids \[[^\]]*\]\s*/Count (\d+)`).FindSubmatch(pdf)
	require.NotNil(t, m, "page tree not found")
	n, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	return n
}

func TestEveryKindHasATitleAndAFixture(t *testing.T) {
	fx := fixtures()
	for _, k := range Kinds() {
		assert.True(t, k.Valid(), k)
		assert.NotEmpty(t, DefaultTitle(k), k)
		l, ok := fx[k]
		if assert.True(t, ok, "no fixture for %s", k) {
			assert.Equal(t, k, l.Kind)
			assert.Equal(t, DefaultTitle(k), l.Title)
		}
	}
	assert.Len(t, fx, len(Kinds()))
	assert.False(t, Kind("nonsense").Valid())
	assert.Empty(t, DefaultTitle("nonsense"))
}

// TestRenderKeepsEveryCharacter proves that no character is lost at a line break: every paragraph
// (which wraps several times) must come back whole, in order, from the PDF's text layer.
func TestRenderKeepsEveryCharacter(t *testing.T) {
	for k, l := range fixtures() {
		t.Run(string(k), func(t *testing.T) {
			pdf, err := Render(l)
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-")))

			layout := bodyText(l, extract(t, pdf, "-layout"))
			assertInOrder(t, layout, append([]string{l.Letterhead, l.Number, l.Title}, paragraphsOf(l)...))
			// The seal place's label is printed inside its circle, above the issuer and the date.
			assertInOrder(t, layout, []string{l.Closing, sealHint, l.Issuer, FormatDate(l.Date)})
			for _, s := range l.Signatures {
				assert.Contains(t, layout, squeeze(s)+"：")
			}
			for _, rare := range []string{"燊", "堃", "喆", "昇", "啰"} {
				assert.Contains(t, layout, rare)
			}

			// Cells wrap inside their columns, so they are checked in content-stream order.
			raw := bodyText(l, extract(t, pdf, "-raw"))
			for _, c := range cellsOf(l) {
				assert.Contains(t, raw, squeeze(c))
			}

			footer := squeeze(extract(t, pdf, "-layout"))
			assert.Contains(t, footer, squeeze(verifyLabel+l.VerifyCode))
			assert.Contains(t, footer, squeeze(urlLabel+l.VerifyURL))
			assert.Contains(t, footer, "第1页共"+strconv.Itoa(pageCount(t, pdf))+"页")
		})
	}
}

func TestWrappedParagraphsReallyWrap(t *testing.T) {
	// Guards the test above: it proves nothing if the paragraphs fit on one line.
	fs, err := loadFonts()
	require.NoError(t, err)
	m := newMetrics(fs.regular, bodyPt)
	lines := wrap(long("审核意见"), m, textW, 2*m.rune('　'))
	assert.GreaterOrEqual(t, len(lines), 4)
}

func TestMultiPage(t *testing.T) {
	l := multiPage()
	pdf, err := Render(l)
	require.NoError(t, err)
	pages := pageCount(t, pdf)
	assert.GreaterOrEqual(t, pages, 3)

	layoutRaw := extract(t, pdf, "-layout")
	assert.Equal(t, pages, strings.Count(layoutRaw, "\f"), "one form feed per page")
	layout := bodyText(l, layoutRaw)
	assertInOrder(t, layout, append([]string{l.Title}, paragraphsOf(l)...))
	assertInOrder(t, layout, []string{l.Closing, sealHint, l.Issuer, FormatDate(l.Date)})
	for p := 1; p <= pages; p++ {
		assert.Contains(t, squeeze(layoutRaw), "第"+strconv.Itoa(p)+"页共"+strconv.Itoa(pages)+"页")
	}

	raw := bodyText(l, extract(t, pdf, "-raw"))
	for _, c := range cellsOf(l) {
		assert.Contains(t, raw, squeeze(c))
	}
	// The table header is repeated on every page the table continues on.
	assert.GreaterOrEqual(t, strings.Count(raw, "序号公示渠道类型办结期限"), 2)

	// The issuer block (the seal place, the issuer and the date) never sits on a page without the
	// closing line.
	pagesText := strings.Split(layoutRaw, "\f")
	for _, p := range pagesText {
		if strings.Contains(squeeze(p), sealHint) {
			assert.Contains(t, squeeze(p), squeeze(l.Closing))
			assert.Contains(t, squeeze(p), squeeze(FormatDate(l.Date)))
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, l := range []Letter{fixtures()[KindRepairNotice], multiPage()} {
		a, err := Render(l)
		require.NoError(t, err)
		b, err := Render(l)
		require.NoError(t, err)
		require.Equal(t, SHA256Hex(a), SHA256Hex(b), "same letter, same bytes")

		other := l
		other.VerifyCode = "XXXX-XXXX-XXXX"
		c, err := Render(other)
		require.NoError(t, err)
		assert.NotEqual(t, SHA256Hex(a), SHA256Hex(c))
	}
	// The PDF's dates come from the letter, never from the clock.
	pdf, err := Render(fixtures()[KindRepairNotice])
	require.NoError(t, err)
	assert.Contains(t, string(pdf), "/CreationDate (D:20260601000000)")
	assert.Contains(t, string(pdf), "/ModDate (D:20260601000000)")
}

func TestRenderIsConcurrencySafe(t *testing.T) {
	l := fixtures()[KindRepairNotice]
	want, err := Render(l)
	require.NoError(t, err)
	errs := make(chan error, 8)
	sums := make(chan string, 8)
	for range 8 {
		go func() {
			b, err := Render(l)
			errs <- err
			sums <- SHA256Hex(b)
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
		assert.Equal(t, SHA256Hex(want), <-sums)
	}
}

func TestCompressed(t *testing.T) {
	pdf, err := Render(fixtures()[KindRepairNotice])
	require.NoError(t, err)
	assert.Contains(t, string(pdf), "/Filter /FlateDecode")
	// The font is a subset of a few hundred glyphs, not the 15 MB face.
	assert.Less(t, len(pdf), 200<<10)

	// A long letter deflates its pages, so that its size hardly grows with its length.
	l := multiPage()
	pdf, err = Render(l)
	require.NoError(t, err)
	require.Greater(t, pageCount(t, pdf), storedPages)
	assert.Equal(t, pageCount(t, pdf), strings.Count(string(pdf), "<</Filter /FlateDecode /Length "), "deflated pages")
	assert.Less(t, len(pdf), 200<<10)
}

func TestUnprintableCharactersBecomePlaceholders(t *testing.T) {
	l := fixtures()[KindNotAccepted]
	// U+20BB7 (𠮷) is outside the BMP; U+0007 is a control character.
	l.Addressee = "𠮷野家餐饮管理有限公司\a"
	l.Paragraphs = append(l.Paragraphs, "甲\u00a0乙\u2009丙\t丁")
	missing, err := MissingRunes(l)
	require.NoError(t, err)
	assert.Equal(t, []rune{0x20BB7}, missing)

	pdf, err := Render(l)
	require.NoError(t, err)
	text := squeeze(extract(t, pdf, "-layout"))
	assert.Contains(t, text, "〓野家餐饮管理有限公司：")
	assert.NotContains(t, text, "\a")
	assert.Contains(t, text, "甲乙丙丁", "unusual spaces stay spaces")
	assert.NotContains(t, text, "〓乙")

	none, err := MissingRunes(fixtures()[KindRepairNotice])
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestRenderRejectsIncompleteLetters(t *testing.T) {
	noDate := fixtures()[KindRepairNotice]
	noDate.Date = time.Time{}
	_, err := Render(noDate)
	assert.ErrorIs(t, err, ErrInvalid)

	_, err = Render(Letter{Kind: "unknown", Date: day(2026, 1, 1)})
	assert.ErrorIs(t, err, ErrInvalid)

	bad := fixtures()[KindWithdrawalNotice]
	bad.Table.Rows = append(bad.Table.Rows, []string{"only one cell"})
	_, err = Render(bad)
	assert.ErrorIs(t, err, ErrInvalid)

	custom := Letter{Title: "自定义函件", Date: day(2026, 1, 1), Paragraphs: []string{"正文。"}}
	_, err = Render(custom)
	assert.NoError(t, err, "a letter with its own title needs no kind")
}

func TestRenderDoesNotModifyTheLetter(t *testing.T) {
	l := fixtures()[KindRepairNotice]
	l.Paragraphs = append(l.Paragraphs, "含\t制表符和𠮷的段落")
	before := strings.Join(l.Paragraphs, "|")
	_, err := Render(l)
	require.NoError(t, err)
	assert.Equal(t, before, strings.Join(l.Paragraphs, "|"))
}

func TestMissingFontNamesThePackage(t *testing.T) {
	_, err := openFont(filepath.Join(t.TempDir(), regularFontFile))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "fonts-lxgw-wenkai")
	assert.Contains(t, err.Error(), FontDirEnv)

	notTTF := filepath.Join(t.TempDir(), "x.ttf")
	require.NoError(t, os.WriteFile(notTTF, []byte("ttcf\x00\x01\x00\x00 not a font"), 0o600))
	_, err = openFont(notTTF)
	assert.ErrorContains(t, err, "TrueType")
}

// TestWriteSamples writes every fixture as PDF into $LETTERS_SAMPLES (skipped when unset), for looking
// at the letters: LETTERS_SAMPLES=/tmp/letters go test -run WriteSamples ./templates/letters/
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("LETTERS_SAMPLES")
	if dir == "" {
		t.Skip("LETTERS_SAMPLES not set")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	samples := fixtures()
	samples["multi_page"] = multiPage()
	samples["typical_repair_notice"] = typicalRepairNotice()
	for k, l := range samples {
		pdf, err := Render(l)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, string(k)+".pdf"), pdf, 0o644))
	}
}

// TestLetterSurvivesJSON matters because a Letter travels as a Temporal activity input: the letter
// rendered by the worker must be byte-identical to one rendered from the original value.
func TestLetterSurvivesJSON(t *testing.T) {
	for k, l := range fixtures() {
		b, err := json.Marshal(l)
		require.NoError(t, err)
		var back Letter
		require.NoError(t, json.Unmarshal(b, &back))
		want, err := Render(l)
		require.NoError(t, err)
		got, err := Render(back)
		require.NoError(t, err)
		assert.Equal(t, SHA256Hex(want), SHA256Hex(got), k)
	}
}
