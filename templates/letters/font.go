package letters

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// FontDirEnv names the environment variable that overrides the font directory.
const FontDirEnv = "XINYONG_FONT_DIR"

// DefaultFontDir is where Debian's fonts-lxgw-wenkai package installs LXGW WenKai.
const DefaultFontDir = "/usr/share/fonts/truetype/lxgw-wenkai"

// regularFontFile is the one face letters are set in; bold is synthesized from it (see
// renderer.text), which keeps one font per PDF.
const regularFontFile = "LXGWWenKai-Regular.ttf"

// fontSet is the face every letter uses, parsed once per process and read-only afterwards, so
// concurrent renders share it without locking.
type fontSet struct {
	regular *ttFont
}

var (
	fontsOnce sync.Once
	fonts     *fontSet
	fontsErr  error
)

// LoadFonts reads and indexes the letter fonts once; later calls return the first result. Call it at
// start-up to fail fast when the fonts are missing; Render calls it too.
func LoadFonts() error {
	_, err := loadFonts()
	return err
}

func loadFonts() (*fontSet, error) {
	fontsOnce.Do(func() {
		dir := os.Getenv(FontDirEnv)
		if dir == "" {
			dir = DefaultFontDir
		}
		var fs fontSet
		if fs.regular, fontsErr = openFont(filepath.Join(dir, regularFontFile)); fontsErr != nil {
			return
		}
		fonts = &fs
	})
	return fonts, fontsErr
}

func openFont(path string) (*ttFont, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("letters: font %s not found: install the Debian package fonts-lxgw-wenkai "+
				"or set %s to a directory holding %s: %w", path, FontDirEnv, regularFontFile, err)
		}
		return nil, fmt.Errorf("letters: read font: %w", err)
	}
	f, err := parseTTF(data)
	if err != nil {
		return nil, fmt.Errorf("letters: font %s: %w", path, err)
	}
	return f, nil
}

// ttFont is a TrueType font indexed for the two things a letter needs: advance widths (for line
// breaking) and cutting a small subset per document. fpdf parses a whole font on every document;
// for a 15 MB CJK font that would dominate the render time, so we hand it a subset of a few hundred
// glyphs instead, embedded as it is.
type ttFont struct {
	tables      map[string][]byte
	unitsPerEm  int
	numGlyphs   int
	numHMetrics int
	loca        []uint32
	gid         []uint16 // BMP rune -> glyph, 0 when the font has no glyph
	cw          []uint16 // BMP rune -> advance in 1/1000 em, rounded exactly as gofpdf does
}

var errBadFont = errors.New("not a usable TrueType font")

func parseTTF(data []byte) (*ttFont, error) {
	if len(data) < 12 {
		return nil, errBadFont
	}
	if v := binary.BigEndian.Uint32(data); v != 0x00010000 && v != 0x74727565 {
		// gofpdf cannot embed CFF outlines (OTTO) or collections (ttcf) either.
		return nil, fmt.Errorf("%w: sfnt version %#x (need TrueType outlines, not .otf/.ttc)", errBadFont, v)
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if len(data) < 12+16*n {
		return nil, errBadFont
	}
	f := &ttFont{tables: make(map[string][]byte, n)}
	for i := range n {
		rec := data[12+16*i:]
		off, ln := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		if off < 0 || ln < 0 || off+ln > len(data) {
			return nil, fmt.Errorf("%w: table %q out of bounds", errBadFont, rec[:4])
		}
		f.tables[string(rec[:4])] = data[off : off+ln]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap", "OS/2", "name", "post"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("%w: missing table %q", errBadFont, t)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 || len(f.tables["post"]) < 16 {
		return nil, fmt.Errorf("%w: short head/hhea/maxp/post", errBadFont)
	}
	f.unitsPerEm = int(binary.BigEndian.Uint16(head[18:]))
	f.numGlyphs = int(binary.BigEndian.Uint16(maxp[4:]))
	f.numHMetrics = int(binary.BigEndian.Uint16(hhea[34:]))
	if f.unitsPerEm == 0 || f.numHMetrics == 0 || f.numHMetrics > f.numGlyphs ||
		len(f.tables["hmtx"]) < 4*f.numHMetrics+2*(f.numGlyphs-f.numHMetrics) {
		return nil, fmt.Errorf("%w: bad metrics", errBadFont)
	}
	if err := f.parseLoca(int(binary.BigEndian.Uint16(head[50:]))); err != nil {
		return nil, err
	}
	if err := f.parseCmap(); err != nil {
		return nil, err
	}
	f.cw = make([]uint16, 0x10000)
	for r, g := range f.gid {
		if g != 0 {
			adv, _ := f.hmetric(g)
			// gofpdf: round(advance*1000/unitsPerEm), and a zero width is stored as "unknown".
			w := (int(adv)*1000*2 + f.unitsPerEm) / (2 * f.unitsPerEm)
			f.cw[r] = uint16(w)
		}
	}
	return f, nil
}

func (f *ttFont) parseLoca(format int) error {
	loca, glyfLen := f.tables["loca"], uint32(len(f.tables["glyf"]))
	f.loca = make([]uint32, f.numGlyphs+1)
	switch format {
	case 0:
		if len(loca) < 2*(f.numGlyphs+1) {
			return fmt.Errorf("%w: short loca", errBadFont)
		}
		for i := range f.loca {
			f.loca[i] = 2 * uint32(binary.BigEndian.Uint16(loca[2*i:]))
		}
	case 1:
		if len(loca) < 4*(f.numGlyphs+1) {
			return fmt.Errorf("%w: short loca", errBadFont)
		}
		for i := range f.loca {
			f.loca[i] = binary.BigEndian.Uint32(loca[4*i:])
		}
	default:
		return fmt.Errorf("%w: loca format %d", errBadFont, format)
	}
	for i := 1; i < len(f.loca); i++ {
		if f.loca[i] < f.loca[i-1] || f.loca[i] > glyfLen {
			return fmt.Errorf("%w: bad loca entry %d", errBadFont, i)
		}
	}
	return nil
}

// parseCmap reads the Unicode BMP subtable (format 4); gofpdf addresses glyphs by UTF-16 code unit, so
// the supplementary planes are of no use to it.
func (f *ttFont) parseCmap() error {
	cmap := f.tables["cmap"]
	if len(cmap) < 4 {
		return fmt.Errorf("%w: short cmap", errBadFont)
	}
	var sub []byte
	for i := range int(binary.BigEndian.Uint16(cmap[2:])) {
		rec := cmap[4+8*i:]
		if len(rec) < 8 {
			break
		}
		platform, enc, off := binary.BigEndian.Uint16(rec), binary.BigEndian.Uint16(rec[2:]), binary.BigEndian.Uint32(rec[4:])
		if (platform == 3 && enc == 1) || platform == 0 {
			if int(off)+4 <= len(cmap) && binary.BigEndian.Uint16(cmap[off:]) == 4 {
				sub = cmap[off:]
				break
			}
		}
	}
	if sub == nil {
		return fmt.Errorf("%w: no Unicode format 4 cmap", errBadFont)
	}
	segX2 := int(binary.BigEndian.Uint16(sub[6:]))
	if len(sub) < 16+4*segX2 {
		return fmt.Errorf("%w: short cmap format 4", errBadFont)
	}
	ends, starts := sub[14:], sub[16+segX2:]
	deltas, rangeOffs := sub[16+2*segX2:], sub[16+3*segX2:]
	f.gid = make([]uint16, 0x10000)
	for s := 0; s < segX2; s += 2 {
		start, end := int(binary.BigEndian.Uint16(starts[s:])), int(binary.BigEndian.Uint16(ends[s:]))
		delta, ro := binary.BigEndian.Uint16(deltas[s:]), int(binary.BigEndian.Uint16(rangeOffs[s:]))
		for c := start; c <= end && c < 0xFFFF; c++ {
			var g uint16
			if ro == 0 {
				g = uint16(c) + delta
			} else {
				// idRangeOffset is relative to its own position in the idRangeOffset array.
				p := 16 + 3*segX2 + s + ro + 2*(c-start)
				if p+2 > len(sub) {
					continue
				}
				if g = binary.BigEndian.Uint16(sub[p:]); g != 0 {
					g += delta
				}
			}
			if int(g) < f.numGlyphs {
				f.gid[c] = g
			}
		}
	}
	return nil
}

func (f *ttFont) hmetric(g uint16) (adv uint16, lsb uint16) {
	hmtx := f.tables["hmtx"]
	if int(g) < f.numHMetrics {
		return binary.BigEndian.Uint16(hmtx[4*int(g):]), binary.BigEndian.Uint16(hmtx[4*int(g)+2:])
	}
	adv = binary.BigEndian.Uint16(hmtx[4*(f.numHMetrics-1):])
	return adv, binary.BigEndian.Uint16(hmtx[4*f.numHMetrics+2*(int(g)-f.numHMetrics):])
}

// has reports whether the font can print r (gofpdf addresses only the BMP).
func (f *ttFont) has(r rune) bool {
	return r >= 0 && r < 0xFFFF && f.gid[r] != 0
}

// Composite glyph flags (OpenType glyf table).
const (
	argsAreWords   = 0x0001
	haveScale      = 0x0008
	moreComponents = 0x0020
	haveXYScale    = 0x0040
	haveTwoByTwo   = 0x0080
)

// subset returns a complete TrueType font holding only the glyphs of runes (plus .notdef and the
// components of composite glyphs), with a format 4 cmap and long loca. Glyph order follows rune order,
// so the same runes always give the same bytes.
func (f *ttFont) subset(runes []rune) ([]byte, error) {
	glyf := f.tables["glyf"]
	newID := make(map[uint16]uint16, len(runes)+1)
	order := make([]uint16, 1, len(runes)+1) // .notdef first
	newID[0] = 0
	type pair struct{ r, g uint16 }
	mapping := make([]pair, 0, len(runes))
	add := func(g uint16) uint16 {
		if id, ok := newID[g]; ok {
			return id
		}
		id := uint16(len(order))
		newID[g] = id
		order = append(order, g)
		return id
	}
	for _, r := range runes {
		if !f.has(r) {
			continue
		}
		mapping = append(mapping, pair{uint16(r), add(f.gid[r])})
	}
	// Pull in components; order grows while we walk it, which covers nested composites.
	for i := 0; i < len(order); i++ {
		g := glyf[f.loca[order[i]]:f.loca[order[i]+1]]
		if len(g) < 10 || int16(binary.BigEndian.Uint16(g)) >= 0 {
			continue
		}
		err := walkComponents(g, func(at int) {
			add(binary.BigEndian.Uint16(g[at:]))
		})
		if err != nil {
			return nil, err
		}
	}
	if len(order) > 0xFFFF {
		return nil, fmt.Errorf("letters: too many glyphs for one font subset")
	}

	// loca and hmtx come from the glyphs' sizes; the glyph data itself is copied once, straight into
	// the font file (fillGlyf, called by assemble).
	size := 0
	newLoca := make([]byte, 0, 4*(len(order)+1))
	hmtx := make([]byte, 0, 4*len(order))
	for _, g := range order {
		newLoca = binary.BigEndian.AppendUint32(newLoca, uint32(size))
		size += int(f.loca[g+1]-f.loca[g]+3) &^ 3
		adv, lsb := f.hmetric(g)
		hmtx = binary.BigEndian.AppendUint16(hmtx, adv)
		hmtx = binary.BigEndian.AppendUint16(hmtx, lsb)
	}
	newLoca = binary.BigEndian.AppendUint32(newLoca, uint32(size))
	fillGlyf := func(dst []byte) {
		at := 0
		for _, g := range order {
			n := copy(dst[at:], glyf[f.loca[g]:f.loca[g+1]])
			if data := dst[at : at+n]; len(data) >= 10 && int16(binary.BigEndian.Uint16(data)) < 0 {
				// walkComponents already succeeded on the same bytes above.
				_ = walkComponents(data, func(at int) {
					binary.BigEndian.PutUint16(data[at:], newID[binary.BigEndian.Uint16(data[at:])])
				})
			}
			at += (n + 3) &^ 3 // dst is zeroed: the padding is there already
		}
	}

	// cmap: one segment per run of consecutive runes with consecutive glyph ids.
	slices.SortFunc(mapping, func(a, b pair) int { return int(a.r) - int(b.r) })
	var starts, ends, deltas []uint16
	for i, m := range mapping {
		if i > 0 && m.r == mapping[i-1].r+1 && m.g == mapping[i-1].g+1 {
			ends[len(ends)-1] = m.r
			continue
		}
		starts, ends, deltas = append(starts, m.r), append(ends, m.r), append(deltas, m.g-m.r)
	}
	starts, ends, deltas = append(starts, 0xFFFF), append(ends, 0xFFFF), append(deltas, 1)
	seg := len(starts)
	if 16+8*seg > 0xFFFF {
		return nil, fmt.Errorf("letters: too many characters for one font subset")
	}
	sr, es := 1, 0
	for sr*2 <= seg {
		sr, es = sr*2, es+1
	}
	sr *= 2
	cmap := make([]byte, 0, 12+16+8*seg)
	cmap = be16(cmap, 0, 1, 3, 1)
	cmap = binary.BigEndian.AppendUint32(cmap, 12)
	cmap = be16(cmap, 4, uint16(16+8*seg), 0, uint16(2*seg), uint16(sr), uint16(es), uint16(2*seg-sr))
	cmap = be16(cmap, ends...)
	cmap = be16(cmap, 0)
	cmap = be16(cmap, starts...)
	cmap = be16(cmap, deltas...)
	cmap = append(cmap, make([]byte, 2*seg)...) // idRangeOffset: all zero

	head := slices.Clone(f.tables["head"])
	binary.BigEndian.PutUint32(head[8:], 0)
	binary.BigEndian.PutUint16(head[50:], 1)
	hhea := slices.Clone(f.tables["hhea"])
	binary.BigEndian.PutUint16(hhea[34:], uint16(len(order)))
	maxp := slices.Clone(f.tables["maxp"])
	binary.BigEndian.PutUint16(maxp[4:], uint16(len(order)))
	post := make([]byte, 32)
	binary.BigEndian.PutUint32(post, 0x00030000) // version 3: no glyph names
	copy(post[4:16], f.tables["post"][4:16])

	return assemble(map[string][]byte{
		"OS/2": f.tables["OS/2"], "cmap": cmap, "head": head, "hhea": hhea,
		"hmtx": hmtx, "loca": newLoca, "maxp": maxp, "name": f.tables["name"], "post": post,
	}, "glyf", size, fillGlyf), nil
}

// walkComponents calls fn with the offset of each component's glyph index in a composite glyph.
func walkComponents(g []byte, fn func(at int)) error {
	p := 10
	for {
		if p+4 > len(g) {
			return fmt.Errorf("letters: truncated composite glyph")
		}
		flags := binary.BigEndian.Uint16(g[p:])
		fn(p + 2)
		p += 4
		if flags&argsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if flags&moreComponents == 0 {
			return nil
		}
	}
}

func be16(b []byte, vs ...uint16) []byte {
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

// assemble writes an sfnt file with its table directory sorted by tag, as the format requires, and
// fixes head.checkSumAdjustment. The table named fillTag, of fillLen bytes (a multiple of 4), is
// written by fill into the file's zeroed bytes, which saves copying the largest table.
func assemble(tables map[string][]byte, fillTag string, fillLen int, fill func([]byte)) []byte {
	tags := make([]string, 0, len(tables)+1)
	size := 12 + 16*(len(tables)+1) + fillLen
	for t, d := range tables {
		tags = append(tags, t)
		size += (len(d) + 3) &^ 3
	}
	tags = append(tags, fillTag)
	slices.Sort(tags)
	n := len(tags)
	sr, es := 1, 0
	for sr*2 <= n {
		sr, es = sr*2, es+1
	}
	out := make([]byte, 0, size)
	out = binary.BigEndian.AppendUint32(out, 0x00010000)
	out = be16(out, uint16(n), uint16(16*sr), uint16(es), uint16(16*n-16*sr))
	off := 12 + 16*n
	headAt, fillRec := 0, 0
	for _, t := range tags {
		d, ln := tables[t], len(tables[t])
		if t == fillTag {
			fillRec, ln = len(out), fillLen
		}
		if t == "head" {
			headAt = off
		}
		out = append(out, t...)
		out = binary.BigEndian.AppendUint32(out, checksum(d))
		out = binary.BigEndian.AppendUint32(out, uint32(off))
		out = binary.BigEndian.AppendUint32(out, uint32(ln))
		off += (ln + 3) &^ 3
	}
	for _, t := range tags {
		if t == fillTag {
			start := len(out)
			out = out[:start+fillLen]
			fill(out[start:])
			binary.BigEndian.PutUint32(out[fillRec+4:], checksum(out[start:]))
			continue
		}
		out = append(out, tables[t]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	// The whole file's checksum: the header and directory's, plus every (zero-padded) table's.
	sum := checksum(out[:12+16*n])
	for i := range n {
		sum += binary.BigEndian.Uint32(out[12+16*i+4:]) // the tables' checksums
	}
	binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-sum)
	return out
}

func checksum(b []byte) uint32 {
	var sum uint32
	for len(b) >= 4 {
		sum += binary.BigEndian.Uint32(b)
		b = b[4:]
	}
	if len(b) > 0 {
		var last [4]byte
		copy(last[:], b)
		sum += binary.BigEndian.Uint32(last[:])
	}
	return sum
}
