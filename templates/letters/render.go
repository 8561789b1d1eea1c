package letters

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
)

// Page geometry in millimetres (A4, margins after GB/T 9704 with room for the verification footer).
const (
	pageW      = 210.0
	pageH      = 297.0
	marginL    = 28.0
	marginR    = 26.0
	marginT    = 25.0
	textW      = pageW - marginL - marginR
	footerTop  = 263.0
	bodyBottom = footerTop - 4

	letterheadPt    = 24.0
	letterheadMinPt = 16.0
	titlePt         = 20.0
	bodyPt          = 14.0
	tablePt         = 12.0
	footerPt        = 8.5

	letterheadLead = 11.0
	titleLead      = 10.0
	bodyLead       = 7.6
	tableLead      = 6.0
	footerLead     = 4.0
	cellPad        = 1.6
	signatureLead  = 11.0
	qrSize         = 20.0
	scanSize       = 30.0 // a QR code of the body, scanned from the paper rather than checked

	// The seal place: a circle that fits a 42 mm official seal. GB/T 9704-2012 7.3.5.1 places the
	// seal over the issuer and the date, which sit a little below its centre, its top within a line
	// of the text above.
	sealR      = 21.0
	sealLift   = 3.0 // the seal's centre is this much above the centre of the issuer and date
	sealGap    = 1.5 // between the text above and the top of the seal
	sealHintPt = 10.0

	// boldStroke is the outline width of synthetic bold, per point of font size (see text).
	boldStroke = 0.022
)

const family = "wenkai"

// pageLines is how many table lines fit on an empty page.
var pageLines = (bodyBottom - marginT - 2*cellPad) / tableLead

var (
	red       = [3]int{204, 0, 0}
	black     = [3]int{0, 0, 0}
	grey      = [3]int{90, 90, 90}
	sealColor = [3]int{170, 170, 170}
)

// Fixed wording printed by the renderer itself; its characters must be in the font subset.
const (
	sealHint     = "（盖章）"
	verifyLabel  = "验证码："
	urlLabel     = "核验网址："
	verifyHint   = "本文书由信用修复协同平台生成，可凭验证码或扫描二维码核验真伪。"
	pagePattern  = "第%d页　共%s页"
	nbAlias      = "{nb}"
	pageWords    = "第页　共" // the words of pagePattern
	staticDigits = "0123456789"
)

// storedPages is the longest letter whose page contents are stored rather than deflated.
const storedPages = 2

// ErrInvalid is wrapped by Render for a letter that cannot be printed as given.
var ErrInvalid = errors.New("letters: invalid letter")

// Render prints l as a PDF. The same letter always yields the same bytes. Safe for concurrent use.
func Render(l Letter) ([]byte, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, err
	}
	if l.Title == "" {
		l.Title = DefaultTitle(l.Kind)
	}
	switch {
	case l.Title == "":
		return nil, fmt.Errorf("%w: no title for kind %q", ErrInvalid, l.Kind)
	case l.Date.IsZero():
		return nil, fmt.Errorf("%w: %s has no date", ErrInvalid, l.Title)
	case l.Table != nil && len(l.Table.Headers) == 0:
		return nil, fmt.Errorf("%w: %s: table without headers", ErrInvalid, l.Title)
	}
	if l.Table != nil {
		for i, row := range l.Table.Rows {
			if len(row) != len(l.Table.Headers) {
				return nil, fmt.Errorf("%w: %s: table row %d has %d cells for %d headers",
					ErrInvalid, l.Title, i+1, len(row), len(l.Table.Headers))
			}
		}
	}
	l = l.mapTexts(fs.sanitize)

	// One font subset serves every layout tried: they print the same characters.
	date := FormatDate(l.Date)
	var used runeSet
	l.texts(func(s string, _ bool) { used.addString(s) })
	for _, s := range []string{date, sealHint, verifyLabel, urlLabel, verifyHint, pageWords, staticDigits, "："} {
		used.addString(s)
	}
	subset, err := fs.regular.subset(used.runes())
	if err != nil {
		return nil, err
	}
	var qr [][]bool
	footerQR := "" // the footer's QR code as a PDF path, the same on every page of every layout
	if l.VerifyURL != "" {
		if qr, err = qrBitmap(l.VerifyURL); err != nil {
			return nil, err
		}
		footerQR = qrPath(qr, marginL+textW-qrSize, footerTop+2, qrSize)
	}

	layout := func(compact bool, carryFrom int) (*renderer, error) {
		r := &renderer{l: &l, fs: fs, subset: subset, qr: qr, qrPath: footerQR, date: date, bl: bodyLead, tl: tableLead, forceAt: carryFrom}
		if compact {
			r.bl, r.tl, r.compact = compactBodyLead, compactTableLead, true
		}
		if err := r.setup(); err != nil {
			return nil, err
		}
		r.body()
		return r, r.err
	}
	r, err := layout(false, 0)
	if err != nil {
		return nil, err
	}
	// A one-page form that runs over is set tighter; a letter whose last page would hold only the
	// closing block takes the last lines before it along (a closing and a seal alone on a page look
	// like a page that could be swapped).
	if r.pdf.PageNo() > 1 && (onePage[l.Kind] || r.orphaned()) {
		if c, err := layout(true, 0); err != nil {
			return nil, err
		} else if c.pdf.PageNo() < r.pdf.PageNo() || onePage[l.Kind] {
			r = c
		}
	}
	if r.orphaned() {
		if c, err := layout(r.compact, r.carryFrom()); err != nil {
			return nil, err
		} else if !c.orphaned() {
			r = c
		}
	}
	// Deflating a page's content takes 60 µs or more and saves about 9 KB: short letters store their
	// pages, longer ones deflate them so that a letter of many pages stays small.
	r.pdf.SetCompression(r.pdf.PageNo() > storedPages)
	pdf, err := r.pdf.OutputBytes()
	if err != nil {
		return nil, fmt.Errorf("letters: write %s: %w", l.Title, err)
	}
	return pdf, nil
}

// MissingRunes lists the characters of l that cannot be printed (outside the BMP or absent from the
// font) and would appear as the placeholder 〓.
func MissingRunes(l Letter) ([]rune, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, err
	}
	return fs.missing(l), nil
}

func (fs *fontSet) missing(l Letter) []rune {
	var set runeSet
	var out []rune
	l.texts(func(s string, _ bool) {
		for _, c := range s {
			if isPrintable(c) && !unicode.IsSpace(c) && !fs.printable(c) && !set.has(c) {
				set.add(c)
				out = append(out, c)
			}
		}
	})
	return out
}

func (fs *fontSet) printable(c rune) bool { return fs.regular.has(c) }

// placeholder is what an unprintable character becomes.
func (fs *fontSet) placeholder() string {
	for _, c := range []rune{'〓', '□'} {
		if fs.printable(c) {
			return string(c)
		}
	}
	return "?"
}

func (fs *fontSet) sanitize(s string) string {
	clean := true
	for _, c := range s {
		if c == '\n' || c == ' ' {
			continue
		}
		if !fs.printable(c) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, c := range s {
		switch {
		case c == '\n' || c == ' ':
			b.WriteRune(c)
		case c == '\t':
			b.WriteByte(' ')
		case !isPrintable(c) || c == utf8.RuneError:
			// Control characters and undecodable bytes carry no text.
		case fs.printable(c):
			b.WriteRune(c)
		case unicode.IsSpace(c):
			b.WriteByte(' ') // a space the font lacks (no-break, thin …) is still a space
		default:
			b.WriteString(fs.placeholder())
		}
	}
	return b.String()
}

// runeSet is a BMP bitset: a few kilobytes, no hashing.
type runeSet [0x10000 / 64]uint64

func (s *runeSet) add(r rune) {
	if r >= 0 && r < 0x10000 {
		s[r>>6] |= 1 << (r & 63)
	}
}

func (s *runeSet) has(r rune) bool { return r >= 0 && r < 0x10000 && s[r>>6]&(1<<(r&63)) != 0 }

func (s *runeSet) addString(str string) {
	for _, r := range str {
		s.add(r)
	}
}

func (s *runeSet) runes() []rune {
	var out []rune
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, rune(i*64+b))
			w &^= 1 << b
		}
	}
	return out
}

// onePage are the kinds that are forms of one page: set tighter when they would run over.
var onePage = map[Kind]bool{KindDeliveryReceipt: true, KindSupplementNotice: true}

// Leading of a letter set tighter to keep a form on one page.
const (
	compactBodyLead  = 6.6
	compactTableLead = 5.3
)

type renderer struct {
	bl, tl  float64 // body and table leading
	compact bool
	// Body lines and table rows are units, counted from 1 as they are printed; forceAt starts a new
	// page before that unit (0: never). lastUnit is the last unit before the closing block, lastKind
	// whether it was a table row, and lastPage the page it ended on.
	units, forceAt, lastUnit, lastPage int
	lastRow, closing                   bool
	l                                  *Letter
	fs                                 *fontSet
	subset                             []byte // the font subset the PDF embeds
	pdf                                *fpdf.Fpdf
	date                               string
	y                                  float64
	qr                                 [][]bool
	qrPath                             string
	color                              [3]int // the current text colour, which synthetic bold strokes with
	err                                error
}

func (r *renderer) setup() error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCatalogSort(true)
	// The font subset is stored, not deflated: deflating it took a millisecond to save 30 KB. Page
	// contents are deflated only in letters longer than storedPages (see Render); the CIDToGIDMap
	// is always deflated, by a direct encoding that costs nothing (docs/performance.md).
	pdf.SetFontCompression(false)
	day := time.Date(r.l.Date.Year(), r.l.Date.Month(), r.l.Date.Day(), 0, 0, 0, 0, time.UTC)
	pdf.SetCreationDate(day)
	pdf.SetModificationDate(day)
	pdf.SetTitle(r.l.Title, true)
	if r.l.Number != "" {
		pdf.SetSubject(r.l.Number, true)
	}
	pdf.SetCreator("xinyong", false)
	pdf.SetMargins(marginL, marginT, marginR)
	pdf.SetAutoPageBreak(false, 0) // we break pages ourselves
	pdf.SetCellMargin(0)
	// One face only: every embedded font costs a parse, a width table and its streams. Bold is
	// synthesized instead (see text). The subset is embedded as it is: the patched fpdf
	// (third_party/README.md) neither parses it again nor cuts a second subset at output.
	pdf.AddUTF8FontSubsetFromBytes(family, "", r.subset)
	pdf.AliasNbPages(nbAlias)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("letters: load font subset: %w", err)
	}
	r.pdf = pdf
	pdf.SetFooterFunc(r.footer)
	return nil
}

// metrics measures text at a size; synthetic bold has the regular advances.
func (r *renderer) metrics(_ bool, size float64) metrics {
	return newMetrics(r.fs.regular, size)
}

func (r *renderer) font(_ bool, size float64, color [3]int) {
	r.pdf.SetFont(family, "", size)
	r.pdf.SetTextColor(color[0], color[1], color[2])
	r.color = color
}

// text draws one line that has already been wrapped to fit w. Bold text is the regular face filled
// and outlined in its own colour (text rendering mode 2), as word processors embolden CJK faces that
// have no bold: the text layer is unchanged, and the PDF carries one font instead of two. The q/Q
// pair keeps the rendering mode, line width and stroke colour from leaking into fpdf's own state.
func (r *renderer) text(x, y, w, h float64, s, align string, bold bool) {
	r.pdf.SetXY(x, y)
	if !bold {
		r.pdf.CellFormat(w, h, s, "", 0, align, false, 0, "")
		return
	}
	size, _ := r.pdf.GetFontSize()
	b := make([]byte, 0, 48)
	b = append(b, "q 2 Tr "...)
	b = append(appendFixed(b, size*boldStroke, 3), " w "...)
	for _, c := range r.color {
		b = append(appendFixed(b, float64(c)/255, 3), ' ')
	}
	r.pdf.RawWriteStr(string(append(b, "RG\n"...)))
	r.pdf.CellFormat(w, h, s, "", 0, align, false, 0, "")
	r.pdf.RawWriteStr("Q\n")
}

// justified draws a body line flush with both edges, as official letters are set, by spreading the
// slack over the gaps between characters (PDF character spacing). The last line of a paragraph, a
// line with word spaces (Latin text would look letter-spaced) and a line that would need gaps wider
// than a fifth of a character (a long word pushed to the next line) stay flush left.
func (r *renderer) justified(x, y, w, h float64, l line, sizePt float64) {
	slack := w - l.w
	gaps := l.glyphs - 1
	if l.last || l.spaces > 0 || gaps < 1 || slack <= 0.01 || slack/float64(gaps) > sizePt*25.4/72/5 {
		r.text(x, y, w, h, l.text, "L", false)
		return
	}
	r.pdf.RawWriteStr(string(append(appendFixed(make([]byte, 0, 16), slack/float64(gaps)*72/25.4, 3), " Tc\n"...)))
	r.text(x, y, w, h, l.text, "L", false)
	r.pdf.RawWriteStr("0 Tc\n")
}

func (r *renderer) newPage() {
	r.pdf.AddPage()
	r.y = marginT
}

// unit counts a body line or a table row about to be printed and reports whether it must start a
// new page to carry the lines before the closing block along.
func (r *renderer) unit(row bool) bool {
	r.units++
	r.lastUnit, r.lastRow = r.units, row
	return r.units == r.forceAt && r.y > marginT+1
}

// orphaned reports whether the last page holds nothing but the closing block.
func (r *renderer) orphaned() bool { return r.lastUnit > 0 && r.pdf.PageNo() > r.lastPage }

// carryFrom is the unit before which the page must break so that the closing block has company: the
// last two lines of a paragraph, or the last row of a table.
func (r *renderer) carryFrom() int {
	if r.lastRow {
		return r.lastUnit
	}
	return max(r.lastUnit-1, 1)
}

// room starts a new page unless h more millimetres fit on this one.
func (r *renderer) room(h float64) {
	if r.y+h > bodyBottom {
		r.newPage()
	}
}

func (r *renderer) body() {
	l := r.l
	r.newPage()
	if l.Letterhead != "" {
		size, lines := letterhead(l.Letterhead, func(size float64) metrics { return r.metrics(true, size) })
		r.font(true, size, red)
		for _, line := range lines {
			r.text(marginL, r.y, textW, letterheadLead, line, "C", true)
			r.y += letterheadLead
		}
		r.y += 2
		if l.Number != "" {
			r.font(false, bodyPt, black)
			r.text(marginL, r.y, textW, r.bl, l.Number, "C", false)
			r.y += r.bl
		}
		r.y += 1
		r.pdf.SetDrawColor(red[0], red[1], red[2])
		r.pdf.SetLineWidth(0.6)
		r.pdf.Line(marginL, r.y, marginL+textW, r.y)
		r.y += 7
	}
	r.font(true, titlePt, black)
	for _, line := range wrap(l.Title, r.metrics(true, titlePt), textW-10, 0) {
		r.text(marginL, r.y, textW, titleLead, line.text, "C", true)
		r.y += titleLead
	}
	r.y += 2
	if l.Letterhead == "" && l.Number != "" {
		r.font(false, bodyPt, black)
		r.text(marginL, r.y, textW, r.bl, l.Number, "R", false)
		r.y += r.bl + 2
	}
	if l.Addressee != "" {
		r.paragraph(l.Addressee+"：", 0)
	}
	body := r.metrics(false, bodyPt)
	indent := 2 * body.rune('　')
	for _, p := range l.Paragraphs {
		r.paragraph(p, indent)
	}
	if len(l.Facts) > 0 {
		r.y += 2
		r.facts()
		r.y += 3
	}
	if l.Table != nil {
		r.y += 1
		r.table()
		r.y += 3
	}
	for _, p := range l.Notes {
		r.paragraph(p, indent)
	}
	if l.Scan != nil {
		r.scan(indent)
	}
	r.signoff(indent)
}

// scan prints the body's QR code at the indent with its caption beside it, one unit kept on one page.
func (r *renderer) scan(indent float64) {
	bitmap, err := qrBitmap(r.l.Scan.URL)
	if err != nil {
		r.err = err
		return
	}
	m := r.metrics(false, tablePt)
	x := marginL + indent
	capX := x + scanSize + 4
	lines := wrap(r.l.Scan.Caption, m, marginL+textW-capX, 0)
	h := max(scanSize, float64(len(lines))*r.tl) + 4
	if !r.closing && r.unit(true) {
		r.newPage()
	}
	r.room(h)
	top := r.y + 2
	r.pdf.RawWriteStr(qrPath(bitmap, x, top, scanSize))
	r.font(false, tablePt, black)
	y := top + max(0, (scanSize-float64(len(lines))*r.tl)/2)
	for _, ln := range lines {
		r.text(capX, y, marginL+textW-capX, r.tl, ln.text, "L", false)
		y += r.tl
	}
	r.y += h
	r.lastPage = r.pdf.PageNo()
}

// letterhead sets a long authority name smaller to keep it on one line, as printed letterheads are;
// a name still too long is split before its parenthesised part (the office's second name), and only
// then wrapped.
func letterhead(name string, m func(size float64) metrics) (float64, []string) {
	for size := letterheadPt; size >= letterheadMinPt; size-- {
		if m(size).width(name) <= textW {
			return size, []string{name}
		}
	}
	if i := strings.Index(name, "（"); i > 0 {
		parts := []string{name[:i], name[i:]}
		for size := letterheadPt; size >= letterheadMinPt; size-- {
			if m(size).width(parts[0]) <= textW && m(size).width(parts[1]) <= textW {
				return size, parts
			}
		}
	}
	var lines []string
	for _, l := range wrap(name, m(letterheadMinPt), textW, 0) {
		lines = append(lines, l.text)
	}
	return letterheadMinPt, lines
}

// paragraph prints s wrapped to the text width, its first line indented.
func (r *renderer) paragraph(s string, indent float64) {
	r.font(false, bodyPt, black)
	for i, line := range wrap(s, r.metrics(false, bodyPt), textW, indent) {
		if !r.closing && r.unit(false) {
			r.newPage()
		}
		r.room(r.bl)
		x := marginL
		if i == 0 {
			x += indent
		}
		r.justified(x, r.y, marginL+textW-x, r.bl, line, bodyPt)
		r.y += r.bl
		if !r.closing {
			r.lastPage = r.pdf.PageNo()
		}
	}
}

// facts prints the key facts as a two-column form.
func (r *renderer) facts() {
	m := r.metrics(false, tablePt)
	labelW := 0.0
	for _, f := range r.l.Facts {
		labelW = max(labelW, m.width(f.Label))
	}
	labelW = min(labelW+2*cellPad+1, textW*0.32)
	cols := []float64{labelW, textW - labelW}
	for _, f := range r.l.Facts {
		lines := max(f.Lines, 1)
		if r.compact && lines > 2 {
			lines-- // room to write by hand, a little less of it
		}
		r.row(cols, []string{f.Label, f.Value}, lines, false, []bool{true, false}, nil)
	}
}

func (r *renderer) table() {
	t := r.l.Table
	// Keep the caption with the header and the first row.
	r.room(r.bl + 2*(r.tl+2*cellPad))
	if t.Caption != "" {
		r.paragraph(t.Caption, 0)
	}
	cols := r.columns(t)
	header := func() { r.row(cols, t.Headers, 1, true, nil, nil) }
	header()
	for _, row := range t.Rows {
		r.row(cols, row, 1, false, nil, header)
	}
}

// columns gives each column its natural (one-line) width when everything fits. Otherwise narrow
// columns (numbers, dates, kinds) keep their natural width and the wide ones share the rest in
// proportion, never below the width of their header, so that long cells wrap and short ones do not.
func (r *renderer) columns(t *Table) []float64 {
	body, head := r.metrics(false, tablePt), r.metrics(true, tablePt)
	n := len(t.Headers)
	natural, minimum := make([]float64, n), make([]float64, n)
	for i, h := range t.Headers {
		minimum[i] = max(head.width(h), 2*body.rune('国')) + 2*cellPad + 0.5
		natural[i] = minimum[i]
		for _, row := range t.Rows {
			natural[i] = max(natural[i], body.width(row[i])+2*cellPad+0.5)
		}
	}
	out := make([]float64, n)
	total := 0.0
	for _, w := range natural {
		total += w
	}
	if total <= textW {
		for i := range out {
			out[i] = natural[i] * textW / total
		}
		return out
	}
	// Water-filling: settle every column narrower than an equal share of what is left, then repeat.
	left, open := textW, n
	settled := make([]bool, n)
	for changed := true; changed && open > 0; {
		changed = false
		for i := range natural {
			if !settled[i] && natural[i] <= left/float64(open) {
				out[i], settled[i] = natural[i], true
				left -= natural[i]
				open--
				changed = true
			}
		}
	}
	wide := 0.0
	for i := range natural {
		if !settled[i] {
			wide += natural[i]
		}
	}
	for i := range natural {
		if settled[i] {
			continue
		}
		share := natural[i] * left / wide
		out[i] = max(share, minimum[i])
	}
	// Headers that cannot shrink may push the sum over: scale everything back to the text width.
	sum := 0.0
	for _, w := range out {
		sum += w
	}
	if sum > textW {
		for i := range out {
			out[i] *= textW / sum
		}
	}
	return out
}

// row prints one table row whose cells wrap inside their columns. A row taller than what is left of
// the page moves to the next page, and one taller than a page is split across pages; onNewPage
// repeats the table header.
func (r *renderer) row(cols []float64, cells []string, minLines int, bold bool, shaded []bool, onNewPage func()) {
	m := r.metrics(bold, tablePt)
	lines := make([][]line, len(cells))
	n := minLines
	for i, c := range cells {
		lines[i] = wrap(c, m, cols[i]-2*cellPad, 0)
		n = max(n, len(lines[i]))
	}
	perPage := int(pageLines)
	if r.unit(true) {
		r.newPage()
		if onNewPage != nil {
			onNewPage()
		}
	}
	defer func() { r.lastPage = r.pdf.PageNo() }()
	for k := 0; k < n; {
		fit := int((bodyBottom - r.y - 2*cellPad + 1e-9) / r.tl)
		if fit < 1 || (k == 0 && fit < n && n <= perPage) {
			r.newPage()
			if onNewPage != nil {
				onNewPage()
			}
			continue
		}
		take := min(fit, n-k)
		h := float64(take)*r.tl + 2*cellPad
		x := marginL
		r.pdf.SetDrawColor(black[0], black[1], black[2])
		r.pdf.SetLineWidth(0.25)
		for i, w := range cols {
			style := "D"
			if bold || (i < len(shaded) && shaded[i]) {
				r.pdf.SetFillColor(242, 242, 242)
				style = "FD"
			}
			r.pdf.Rect(x, r.y, w, h, style)
			r.font(bold, tablePt, black)
			cell := lines[i][min(k, len(lines[i])):min(k+take, len(lines[i]))]
			top := r.y + cellPad
			if take == n { // unsplit row: centre the cell vertically
				top += float64(n-len(cell)) * r.tl / 2
			}
			align := "L"
			if bold {
				align = "C"
			}
			for j, line := range cell {
				if bold {
					r.text(x+cellPad, top+float64(j)*r.tl, w-2*cellPad, r.tl, line.text, align, bold)
				} else {
					r.justified(x+cellPad, top+float64(j)*r.tl, w-2*cellPad, r.tl, line, tablePt)
				}
			}
			x += w
		}
		r.y += h
		k += take
	}
}

// signoff prints the closing line, the signature lines and the issuer with the seal place and the
// date, kept together so that the signature never stands on a page of its own.
func (r *renderer) signoff(indent float64) {
	l := r.l
	body := r.metrics(false, bodyPt)
	var closing, issuer []line
	if l.Closing != "" {
		closing = wrap(l.Closing, body, textW, indent)
	}
	// The issuer block is centred over the date, its right edge two characters in from the margin.
	blockW, right := 0.0, marginL+textW-2*body.rune('　')
	if l.Issuer != "" {
		blockW = max(body.width(l.Issuer), body.width(r.date))
		if blockW > right-marginL {
			right, blockW = marginL+textW, min(blockW, textW)
		}
		issuer = wrap(l.Issuer, body, blockW, 0)
	}
	// above and below are the room the seal needs above the issuer and below the date; the seal's top
	// comes right under the text above it, so a line of space before it would only push letters onto
	// a further page.
	var textH, above, below float64
	if issuer != nil {
		textH = float64(len(issuer)+1) * r.bl
		above = max(r.bl, sealGap+sealR-textH/2+sealLift)
		below = max(0, sealR-textH/2-sealLift)
		if r.compact {
			// A form kept on one page: the seal may cover the line above the issuer and reach into the
			// space above the footer rule, as a seal stamped over a form's last lines does.
			above = max(r.bl, above-r.bl)
			below = max(0, below-(footerTop-bodyBottom-0.5))
		}
	}
	gap := 0.0 // between the closing line and the signatures or the seal
	if len(l.Signatures) > 0 {
		gap = r.bl / 2
	}
	signed := float64(len(l.Signatures)) * signatureLead
	if issuer != nil {
		signed += above + textH + below
	}
	if signed > 0 {
		signed += gap
	}
	if total := float64(len(closing))*r.bl + signed; total > 0 && total <= bodyBottom-marginT {
		r.room(total)
	}
	if closing != nil {
		r.closing = true
		r.paragraph(l.Closing, indent)
		r.closing = false
	}
	if signed == 0 {
		return
	}
	r.y += gap
	r.room(signed - gap)
	r.font(false, bodyPt, black)
	for _, s := range l.Signatures {
		label := s + "："
		x := marginL + textW*0.38
		lw := body.width(label)
		r.text(x, r.y, lw, signatureLead, label, "L", false)
		r.pdf.SetDrawColor(black[0], black[1], black[2])
		r.pdf.SetLineWidth(0.25)
		base := r.y + signatureLead*0.5 + bodyPt*25.4/72*0.45
		r.pdf.Line(x+lw+1, base, marginL+textW, base)
		r.y += signatureLead
	}
	if issuer != nil {
		top := r.y + above
		r.seal(right-blockW/2, top+textH/2-sealLift)
		r.font(false, bodyPt, black)
		r.y = top
		for _, ln := range issuer {
			r.text(right-blockW, r.y, blockW, r.bl, ln.text, "C", false)
			r.y += r.bl
		}
		r.text(right-blockW, r.y, blockW, r.bl, r.date, "C", false)
		r.y += r.bl + below
	}
}

// seal draws the place where the seal goes: a light dashed circle the size of an official seal,
// labelled （盖章） near its top, drawn before the issuer and date so that they stay legible over it.
func (r *renderer) seal(cx, cy float64) {
	pdf := r.pdf
	pdf.SetDrawColor(sealColor[0], sealColor[1], sealColor[2])
	pdf.SetLineWidth(0.3)
	pdf.SetDashPattern([]float64{1.5, 1}, 0)
	pdf.Circle(cx, cy, sealR, "D")
	pdf.SetDashPattern(nil, 0)
	r.font(false, sealHintPt, sealColor)
	r.text(cx-sealR, cy-sealR+3, 2*sealR, footerLead+1, sealHint, "C", false)
}

// footer prints the verification code, URL and QR code and the page number on every page.
func (r *renderer) footer() {
	l := r.l
	pdf := r.pdf
	pdf.SetDrawColor(grey[0], grey[1], grey[2])
	pdf.SetLineWidth(0.2)
	pdf.Line(marginL, footerTop, marginL+textW, footerTop)
	r.font(false, footerPt, grey)
	w := textW
	if r.qr != nil {
		w -= qrSize + 4
		r.drawQR(marginL+textW-qrSize, footerTop+2, qrSize)
	}
	m := r.metrics(false, footerPt)
	y := footerTop + 2
	var lines []line
	if l.VerifyCode != "" || l.VerifyURL != "" {
		lines = append(lines, wrap(verifyHint, m, w, 0)...)
	}
	if l.VerifyCode != "" {
		lines = append(lines, wrap(verifyLabel+l.VerifyCode, m, w, 0)...)
	}
	if l.VerifyURL != "" {
		lines = append(lines, wrap(urlLabel+l.VerifyURL, m, w, 0)...)
	}
	for _, line := range lines {
		r.text(marginL, y, w, footerLead, line.text, "L", false)
		y += footerLead
	}
	page := fmt.Sprintf(pagePattern, pdf.PageNo(), nbAlias)
	r.text(marginL, pageH-13, textW, footerLead, page, "C", false)
}

// drawQR paints the QR code as one PDF path, one rectangle per horizontal run of dark modules. The
// path is built once per letter and repeated on every page: drawing it module by module through
// fpdf's Rect cost more than the rest of the footer.
func (r *renderer) drawQR(x, y, size float64) {
	if r.qrPath == "" {
		r.qrPath = qrPath(r.qr, x, y, size)
	}
	r.pdf.RawWriteStr(r.qrPath)
}

// qrPath is the PDF path that fills a QR bitmap's dark modules in a size × size square at x, y (mm).
func qrPath(qr [][]bool, x, y, size float64) string {
	k := 72 / 25.4
	cell := size / float64(len(qr))
	runs := 0
	for _, row := range qr {
		for j, dark := range row {
			if dark && (j == 0 || !row[j-1]) {
				runs++
			}
		}
	}
	var b strings.Builder
	b.Grow(16 + 36*runs) // four numbers of at most seven characters and "re" per run
	b.WriteString("q 0 g\n")
	var scratch [24]byte
	num := func(v float64) {
		b.Write(appendFixed(scratch[:0], v, 2))
		b.WriteByte(' ')
	}
	for i, row := range qr {
		for j := 0; j < len(row); {
			if !row[j] {
				j++
				continue
			}
			n := j
			for n < len(row) && row[n] {
				n++
			}
			// PDF space has its origin at the bottom left; the slight overlap between rows avoids
			// hairline gaps in some viewers.
			num((x + float64(j)*cell) * k)
			num((pageH - y - float64(i+1)*cell - 0.02) * k)
			num(float64(n-j) * cell * k)
			num((cell + 0.02) * k)
			b.WriteString("re\n")
			j = n
		}
	}
	b.WriteString("f Q\n")
	return b.String()
}

// appendFixed appends v with the given number of decimals (at most 3), as strconv's 'f' format
// does but without its general conversion, which was most of the cost of the QR path.
func appendFixed(b []byte, v float64, decimals int) []byte {
	scale := [4]float64{1, 10, 100, 1000}[decimals]
	n := int64(math.Round(v * scale))
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	p := int64(scale)
	b = strconv.AppendInt(b, n/p, 10)
	if decimals == 0 {
		return b
	}
	b = append(b, '.')
	for p /= 10; p > 0; p /= 10 {
		b = append(b, byte('0'+n/p%10))
	}
	return b
}
