package letters

import (
	"math/rand/v2"
	"strings"
	"testing"

	"codeberg.org/go-pdf/fpdf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func bodyMetrics(t testing.TB) metrics {
	fs, err := loadFonts()
	require.NoError(t, err)
	return newMetrics(fs.regular, bodyPt)
}

func texts(lines []line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.text
	}
	return out
}

func TestWrapAvoidsPunctuationAtLineStart(t *testing.T) {
	m := bodyMetrics(t)
	em := m.rune('国')
	// Four characters fit; the comma would start line two, so 丁 moves down with it.
	lines := texts(wrap("甲乙丙丁，戊己", m, 4*em, 0))
	assert.Equal(t, []string{"甲乙丙", "丁，戊己"}, lines)

	// Two closing marks in a row travel together with their character.
	lines = texts(wrap("甲乙丙丁）。戊己", m, 5*em, 0))
	assert.Equal(t, []string{"甲乙丙", "丁）。戊己"}, lines)

	// An opening bracket does not end a line.
	lines = texts(wrap("甲乙丙（丁戊", m, 4*em, 0))
	assert.Equal(t, []string{"甲乙丙", "（丁戊"}, lines)
}

func TestWrapKeepsASCIIWordsWhole(t *testing.T) {
	m := bodyMetrics(t)
	em := m.rune('国')
	lines := texts(wrap("代码91350100M000100Y43有效", m, m.width("91350100M000100Y43")+em/2, 0))
	require.Len(t, lines, 3)
	assert.Equal(t, "代码", lines[0])
	assert.Equal(t, "91350100M000100Y43", lines[1])
	assert.Equal(t, "有效", lines[2])

	// A word wider than the line is broken between characters rather than overflowing.
	url := "https://xinyong.example.gov.cn/verify/AC3D-EF4G-HJKM/with/a/very/long/path"
	for _, l := range wrap(url, m, 30*m.rune('a'), 0) {
		assert.LessOrEqual(t, l.w, 30*m.rune('a')+1e-9)
	}
	assert.Equal(t, url, strings.Join(texts(wrap(url, m, 30*m.rune('a'), 0)), ""))

	lines = texts(wrap("Hello   world, this is English.", m, m.width("Hello world, "), 0))
	assert.Equal(t, []string{"Hello world,", "this is", "English."}, lines)
}

func TestWrapHardBreaksAndIndent(t *testing.T) {
	m := bodyMetrics(t)
	em := m.rune('国')
	lines := wrap("甲乙丙丁戊己\n庚辛", m, 4*em, 2*em)
	assert.Equal(t, []string{"甲乙", "丙丁戊己", "庚辛"}, texts(lines))
	assert.Equal(t, []bool{false, true, true}, []bool{lines[0].last, lines[1].last, lines[2].last})
	assert.Equal(t, []string{""}, texts(wrap("", m, 4*em, 0)))
}

// TestWrapProperties checks, over random text and widths, that wrapping loses no character, keeps
// lines within the width (except a hanging punctuation mark) and obeys the line-start and line-end
// rules.
func TestWrapProperties(t *testing.T) {
	m := bodyMetrics(t)
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"信", "用", "修", "复", "燊", "堃", "喆", "昇", "啰", "，", "。", "、", "；", "：", "）", "」",
		"（", "「", "《", "》", "2026", "USCC", "91350100M000100Y43", " ", "https://x.example/a/b", "A", "…"}
	for range 2000 {
		var b strings.Builder
		for range 1 + rng.IntN(80) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := strings.TrimSpace(b.String())
		width := m.rune('国') * float64(3+rng.IntN(30))
		indent := 0.0
		if rng.IntN(2) == 0 {
			indent = 2 * m.rune('国')
		}
		lines := wrap(s, m, width, indent)
		require.Equal(t, strings.ReplaceAll(s, " ", ""), strings.ReplaceAll(strings.Join(texts(lines), ""), " ", ""),
			"lost or reordered characters for %q", s)
		for i, l := range lines {
			avail := width
			if i == 0 {
				avail -= indent
			}
			first, _ := firstRune(l.text)
			last := lastRune(l.text)
			if i > 0 {
				assert.False(t, strings.ContainsRune(noStart, first), "line %d of %q starts with %q: %q", i, s, first, texts(lines))
			}
			if l.w > avail+1e-9 {
				// Only closing marks may hang past the edge.
				body := strings.TrimRightFunc(l.text, func(r rune) bool { return strings.ContainsRune(noStart, r) || r == ' ' })
				assert.LessOrEqual(t, m.width(body), avail+1e-9, "line %q overflows: %q", l.text, texts(lines))
			}
			if i < len(lines)-1 && strings.Contains(noEnd, last) {
				// Allowed only when the line is nothing but opening marks, or when the marks and the
				// next line's first word would not fit on one line together.
				// (A space the break swallowed may have stood between them.)
				body := strings.TrimRightFunc(l.text, func(r rune) bool { return r == ' ' || strings.ContainsRune(noEnd, r) })
				next := tokenize(lines[i+1].text, m, width)[0]
				assert.True(t, body == "" || m.width(l.text[len(body):])+m.rune(' ')+next.w > width,
					"line %q ends with an opening mark: %q (input %q, width %v, indent %v)", l.text, texts(lines), s, width/m.rune('国'), indent)
			}
			assert.Equal(t, l.text, strings.TrimSpace(l.text))
		}
	}
}

func firstRune(s string) (rune, bool) {
	for _, r := range s {
		return r, true
	}
	return 0, false
}

// TestMetricsMatchGofpdf makes sure our line breaking measures text exactly as fpdf (gofpdf's
// successor) draws it.
func TestMetricsMatchGofpdf(t *testing.T) {
	fs, err := loadFonts()
	require.NoError(t, err)
	s := "福州燊堃喆昇啰贸易有限公司（统一社会信用代码：91350100M000100Y43），Hello, world!"
	var set runeSet
	set.addString(s)
	sub, err := fs.regular.subset(set.runes())
	require.NoError(t, err)
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("x", "", sub)
	pdf.SetFont("x", "", bodyPt)
	require.NoError(t, pdf.Error())
	assert.InDelta(t, pdf.GetStringWidth(s), newMetrics(fs.regular, bodyPt).width(s), 1e-9)
}

func lastRune(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return ""
	}
	return string(r[len(r)-1])
}
