package letters

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// We break lines ourselves: gofpdf's MultiCell drops one character at every automatic break of CJK
// text, and it knows nothing of Chinese line-breaking rules.

// noStart are characters that must not begin a line (避头).
const noStart = "，。、；：？！）」』》〉】〕〗］｝”’…—％‰·,.;:?!)]}%"

// noEnd are characters that must not end a line (避尾).
const noEnd = "（「『《〈【〔〖［｛“‘([{"

// noStartSet and noEndSet look the two lists up without searching them.
var noStartSet, noEndSet = func() (s, e runeSet) {
	s.addString(noStart)
	e.addString(noEnd)
	return
}()

// metrics measures text in one face at one size.
type metrics struct {
	cw    []uint16 // BMP rune -> advance in 1/1000 em
	scale float64  // mm per 1/1000 em at this size
}

func newMetrics(f *ttFont, sizePt float64) metrics {
	return metrics{cw: f.cw, scale: sizePt * 25.4 / 72 / 1000}
}

func (m metrics) rune(r rune) float64 {
	if r >= 0 && int(r) < len(m.cw) {
		return float64(m.cw[r]) * m.scale
	}
	return 0
}

func (m metrics) width(s string) float64 {
	w := 0
	for _, r := range s {
		if r >= 0 && int(r) < len(m.cw) {
			w += int(m.cw[r])
		}
	}
	return float64(w) * m.scale
}

type unit struct {
	text              string
	w                 float64
	space, head, tail bool // space; must not start a line; must not end a line
}

// tokenize splits a line of text into unbreakable units: a run of ASCII letters, digits and
// punctuation (a word, a number, a URL), a single other character, or a run of spaces. A word wider
// than maxW is split into characters so it can break anywhere.
func tokenize(s string, m metrics, maxW float64) []unit {
	units := make([]unit, 0, utf8.RuneCountInString(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == ' ' || r == '\t':
			j := i + n
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			units = append(units, unit{text: " ", w: m.rune(' '), space: true})
			i = j
		case r > ' ' && r < utf8.RuneSelf:
			j := i
			for j < len(s) && s[j] > ' ' && s[j] < utf8.RuneSelf {
				j++
			}
			word := s[i:j]
			if w := m.width(word); w <= maxW && j-i > 1 {
				// Punctuation after a word is part of the word.
				units = append(units, unit{text: word, w: w})
			} else {
				// A lone mark, or a word too wide for a line: character by character, each mark
				// following the same rules as the Chinese ones.
				for _, c := range word {
					units = append(units, unit{
						text: string(c), w: m.rune(c),
						head: noStartSet.has(c), tail: noEndSet.has(c),
					})
				}
			}
			i = j
		default:
			units = append(units, unit{
				text: s[i : i+n], w: m.rune(r),
				head: noStartSet.has(r), tail: noEndSet.has(r),
			})
			i += n
		}
	}
	return glue(units, maxW)
}

// unitAfterNumber are the characters that belong to the number before them (12号, 200000元, 3个月).
const unitAfterNumber = "号元万亿年月日个次天条款项分时页期"

// glue joins units that must not be broken apart: a number and its unit, and a document number
// (文号) with its issuer's prefix, year and number (镇市监罚〔2026〕12号), as long as the result fits a
// line.
func glue(units []unit, maxW float64) []unit {
	digitEnd := func(u unit) bool { c := u.text[len(u.text)-1]; return c >= '0' && c <= '9' }
	digitStart := func(u unit) bool { c := u.text[0]; return c >= '0' && c <= '9' }
	han := func(u unit) bool {
		r, _ := utf8.DecodeRuneInString(u.text)
		return utf8.RuneCountInString(u.text) == 1 && unicode.Is(unicode.Han, r)
	}
	bound := func(a, b unit) bool {
		switch {
		case a.space || b.space:
			return false
		case digitEnd(a) && (b.text == "〕" || utf8.RuneCountInString(b.text) == 1 && strings.Contains(unitAfterNumber, b.text)):
			return true
		case (strings.HasSuffix(a.text, "〔") || strings.HasSuffix(a.text, "〕")) && digitStart(b):
			return true
		case han(a) && strings.HasPrefix(b.text, "〔"):
			return true
		}
		return false
	}
	out := units[:0] // in place: out never gets ahead of the unit being read
	for _, u := range units {
		if n := len(out); n > 0 && bound(out[n-1], u) && out[n-1].w+u.w <= maxW {
			prev := out[n-1]
			out[n-1] = unit{text: prev.text + u.text, w: prev.w + u.w, head: prev.head, tail: u.tail}
			continue
		}
		out = append(out, u)
	}
	// A document number's prefix: the Han characters right before its 〔 (at most six: 机关代字 and kind).
	for i := 0; i < len(out); i++ {
		if !strings.Contains(out[i].text, "〔") || !han(out[i]) && utf8.RuneCountInString(out[i].text) < 2 {
			continue
		}
		j := i
		for j > 0 && i-j < 5 && han(out[j-1]) && !out[j-1].head && out[j-1].w+out[i].w <= maxW {
			j--
			out[i] = unit{text: out[j].text + out[i].text, w: out[j].w + out[i].w, head: out[j].head, tail: out[i].tail}
		}
		if j < i {
			out = append(out[:j], out[i:]...)
			i = j
		}
	}
	return out
}

// line is one wrapped line of text.
type line struct {
	text   string
	w      float64 // natural width
	glyphs int
	spaces int  // word spaces inside the line
	last   bool // ends a paragraph or precedes a hard break, so it is never justified
}

// wrap breaks s into lines no wider than width; the first line is narrower by indent. Hard line
// breaks ("\n") are kept. Spaces at either end of a line are dropped; no other character is.
func wrap(s string, m metrics, width, indent float64) []line {
	var lines []line
	for i, para := range strings.Split(s, "\n") {
		first := indent
		if i > 0 {
			first = 0
		}
		lines = append(lines, wrapLine(para, m, width, first)...)
	}
	return lines
}

func wrapLine(s string, m metrics, width, indent float64) []line {
	units := tokenize(s, m, width-indent)
	var (
		lines []line
		cur   = make([]unit, 0, len(units))
		curW  float64
		avail = width - indent
	)
	flush := func() {
		for len(cur) > 0 && cur[len(cur)-1].space {
			curW -= cur[len(cur)-1].w
			cur = cur[:len(cur)-1]
		}
		var b strings.Builder
		n := 0
		for _, u := range cur {
			n += len(u.text)
		}
		b.Grow(n)
		ln := line{}
		for _, u := range cur {
			b.WriteString(u.text)
			ln.w += u.w
			if u.space {
				ln.spaces++
			}
		}
		ln.text = b.String()
		ln.glyphs = utf8.RuneCountInString(ln.text)
		lines = append(lines, ln)
		cur, curW, avail = cur[:0], 0, width
	}
	for _, u := range units {
		if u.space && len(cur) == 0 {
			continue
		}
		// A space never breaks a line by itself (flush drops trailing spaces), so that the unit after
		// it decides where the break goes and the break rules apply to it.
		if curW+u.w <= avail+1e-9 || len(cur) == 0 || u.space {
			cur, curW = append(cur, u), curW+u.w
			continue
		}
		// u does not fit: it starts the next line, together with whatever tail of this line must
		// travel with it so that the new line does not start with closing punctuation (避头) and this
		// one does not end with opening punctuation (避尾). Trailing spaces are dropped at the break.
		end := len(cur)
		for end > 0 && cur[end-1].space {
			end--
		}
		cut := end
		if u.head {
			for cut > 0 && (cur[cut-1].head || cur[cut-1].space) {
				cut--
			}
			cut = max(cut-1, 0) // the character the punctuation belongs to
		}
		for {
			k := cut
			for k > 0 && cur[k-1].space {
				k--
			}
			if k == 0 || !cur[k-1].tail {
				break
			}
			cut = k - 1
		}
		carried := 0.0
		for _, c := range cur[cut:] {
			carried += c.w
		}
		switch {
		case cut == end:
			flush()
			cur, curW = append(cur, u), u.w
		case cut > 0 && carried+u.w <= width:
			tail := append([]unit(nil), cur[cut:]...)
			cur = cur[:cut]
			flush()
			for _, t := range tail {
				cur, curW = append(cur, t), curW+t.w
			}
			cur, curW = append(cur, u), curW+u.w
		case u.head:
			// Nothing can be carried over (the line holds a single character, or the carried part
			// would not fit a line): let the punctuation hang into the margin rather than start a line.
			cur, curW = append(cur, u), curW+u.w
		default:
			flush()
			cur, curW = append(cur, u), u.w
		}
	}
	if len(cur) > 0 || len(lines) == 0 {
		flush()
	}
	lines[len(lines)-1].last = true
	return lines
}

// isPrintable reports whether r is kept in a letter at all: control characters other than the line
// break are dropped.
func isPrintable(r rune) bool {
	return r == '\n' || !unicode.IsControl(r)
}
