package letters

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// UnprintableError reports characters of an input field that no letter can print: characters
// outside the Unicode Basic Multilingual Plane (fpdf cannot address them) and characters the
// letter font has no glyph for. It carries the API error code, so that an HTTP handler answers 422.
type UnprintableError struct {
	Field string // the field's name as the user sees it (企业名称)
	Runes []rune // the characters refused, in order of first appearance
}

// Error is the message shown to the user, in Chinese.
func (e *UnprintableError) Error() string {
	return fmt.Sprintf("字段“%s”含有无法打印的字符%s，请核对或改用规范汉字", e.Field, quoteRunes(e.Runes))
}

// ErrorCode is the API error code.
func (e *UnprintableError) ErrorCode() string { return "unprintable_character" }

// CheckPrintable returns an *UnprintableError when value holds a character that a letter cannot
// print, naming field in the message; nil when every character can be printed. Call it on names,
// addresses and other text that will appear on letters before storing them: a letter that printed
// a blank or a placeholder in an enterprise's name would be wrong, and by then too late to ask.
// White space is accepted (letters print it as a space); control and invisible format characters are
// refused. It fails
// with a plain error when the font cannot be loaded.
func CheckPrintable(field, value string) error {
	fs, err := loadFonts()
	if err != nil {
		return err
	}
	var seen runeSet
	var bad []rune
	for i, c := range value {
		ok := true
		switch {
		case c == utf8.RuneError:
			_, n := utf8.DecodeRuneInString(value[i:])
			ok = n > 1 && fs.printable(c)
		case c > 0xFFFF:
			ok = false // outside the BMP: fpdf cannot address it whatever the font holds
		case c == '\t' || c == '\n' || c == '\r':
		case unicode.IsControl(c), unicode.Is(unicode.Cf, c):
			// Controls print nothing; format characters (zero-width space, joiners, bidi marks) print
			// nothing visible either, yet would make a stored name differ from the registered one.
			ok = false
		case unicode.IsSpace(c):
		default:
			ok = fs.printable(c)
		}
		if ok {
			continue
		}
		if c > 0xFFFF {
			if !slices.Contains(bad, c) {
				bad = append(bad, c)
			}
		} else if !seen.has(c) {
			seen.add(c)
			bad = append(bad, c)
		}
	}
	if len(bad) > 0 {
		return &UnprintableError{Field: field, Runes: bad}
	}
	return nil
}

// quoteRunes writes “𠀀”、“𠮷” for a message; a character that shows nothing by itself (a control
// or formatting character, a combining mark) is written as its code point, “U+200B”.
func quoteRunes(rs []rune) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString("、")
		}
		b.WriteString("“")
		if r == utf8.RuneError || !unicode.IsGraphic(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r) {
			fmt.Fprintf(&b, "U+%04X", r)
		} else {
			b.WriteRune(r)
		}
		b.WriteString("”")
	}
	return b.String()
}
