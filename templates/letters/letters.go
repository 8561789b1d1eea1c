// Package letters renders the platform's official letters (告知书, 决定书, 送达回证, 承诺书 …) as PDF.
//
// Rendering is deterministic: a Letter goes in, PDF bytes come out (same Letter, same bytes), so a stored
// letter's hash can be recomputed from it; storing them with their SHA-256 and verification code is the
// caller's job. Building is not pure: typed builders (RepairNotice, DeliveryReceipt, …) and Build apply
// the wording of each kind, which lives in text templates, texts/<kind>.tmpl (format in texts.go), that
// the credit office can replace without a rebuild (XINYONG_LETTER_TEXTS, LoadTexts); a new kind is a new
// template (FromTemplate, RegisterKind). Workflow code therefore describes a letter as a Content (kind
// and data, plain values) and leaves building and rendering to an activity.
//
// Names and addresses should pass CheckPrintable when they are entered, so that a character the font
// cannot print is refused then rather than printed as a placeholder on an official letter.
//
// Text is set in LXGW WenKai Regular (Debian package fonts-lxgw-wenkai); bold is synthesized from it,
// so that a PDF embeds one font (each embedded font costs fpdf a parse and its streams). fpdf, like
// gofpdf before it, can only address the Unicode BMP, so characters outside it, and characters the
// font lacks, are printed as the placeholder 〓 (U+3013, the customary mark for a character that
// cannot be typeset);
// MissingRunes lists them so a caller can warn before issuing such a letter.
package letters

import (
	"fmt"
	"strings"
	"time"
)

// Kind identifies one of the letters the platform issues. A kind's wording is its text,
// texts/<kind>.tmpl; a new kind is a new text, plus a constant (and a RegisterKind call when its
// text comes only from the override directory).
type Kind string

// The letters the platform issues, each with a typed builder.
const (
	KindRepairNotice        Kind = "repair_notice"        // 信用修复告知书
	KindDeliveryReceipt     Kind = "delivery_receipt"     // 送达回证
	KindCommitment          Kind = "credit_commitment"    // 信用承诺书
	KindSupplementNotice    Kind = "supplement_notice"    // 补正通知书
	KindNotAccepted         Kind = "not_accepted"         // 不予受理通知书
	KindRepairApproved      Kind = "repair_approved"      // 准予信用修复决定书
	KindRepairRefused       Kind = "repair_refused"       // 不予信用修复决定书
	KindWithdrawalNotice    Kind = "withdrawal_notice"    // 告知函（一件通用）
	KindRectificationNotice Kind = "rectification_notice" // 整改通知书
	KindWarningInterview    Kind = "warning_interview"    // 警示约谈记录
	KindExtensionNotice     Kind = "extension_notice"     // 延期告知书
	KindObjectionCommitment Kind = "objection_commitment" // 异议申诉信用承诺书
	KindObjectionResult     Kind = "objection_result"     // 异议处理结果告知书
	KindTrainingCertificate Kind = "training_certificate" // 信用修复培训证明
	KindRevocationDecision  Kind = "repair_revoked"       // 撤销信用修复决定书
	KindTrainingPlan        Kind = "training_plan"        // 信用修复培训方案
)

// Kinds lists every letter kind that has a text: the kinds above in their order, then any other by
// name.
func Kinds() []Kind { return kindsOf(loadedTexts()) }

// DefaultTitle returns the Chinese title printed on a letter of kind k, read from the kind's text, or
// "" for an unknown kind.
func DefaultTitle(k Kind) string {
	if kt := loadedTexts().kinds[k]; kt != nil {
		return kt.title
	}
	return ""
}

// Valid reports whether k is a letter kind with a text.
func (k Kind) Valid() bool { return loadedTexts().kinds[k] != nil }

// Fact is one labelled row of a letter's key-facts table.
type Fact struct {
	Label string
	Value string
	// Lines is the minimum height of the row in text lines: room for a handwritten signature or date.
	Lines int
}

// Table is an optional grid printed after the facts (for example, the channels of a withdrawal).
type Table struct {
	Caption string
	Headers []string
	Rows    [][]string
}

// Letter is everything printed on one letter. Builders fill it with the standard wording; Render
// prints it.
type Letter struct {
	Kind Kind
	// Letterhead is the issuing authority printed in red above a red rule (发文机关标志); empty for
	// letters the enterprise itself signs.
	Letterhead string
	// Title defaults to DefaultTitle(Kind).
	Title string
	// Number is the document number (文号).
	Number string
	// Addressee is the main recipient (主送); a full-width colon is appended.
	Addressee string
	// Paragraphs come before the facts table; each is indented two characters.
	Paragraphs []string
	Facts      []Fact
	Table      *Table
	// Notes are paragraphs after the tables.
	Notes []string
	// Closing is the last line of the body (特此告知。).
	Closing string
	// Issuer is printed at the bottom right with the seal place and the date.
	Issuer string
	// Date is the letter's calendar date, read in its own location (pass midnight in Asia/Shanghai or
	// UTC, not an instant converted from another zone). It also fixes the PDF's creation date, so it
	// is required.
	Date time.Time
	// Signatures are labels of blank lines to sign by hand (收件人签名, 法定代表人（签字）…).
	Signatures []string
	VerifyCode string
	VerifyURL  string
	// Scan is a QR code printed in the body after the notes, with its caption beside it (the activation
	// page of an enterprise account with the code filled in); nil for none.
	Scan *ScanCode `json:",omitempty"`
}

// ScanCode is a QR code of the body: URL is encoded, not printed; Caption says what scanning it does.
type ScanCode struct {
	URL     string
	Caption string
}

// FormatDate prints d the way official letters do: 2026年4月1日.
func FormatDate(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year(), int(d.Month()), d.Day())
}

// ParseDate reads a "YYYY-MM-DD" date.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("letters: parse date %q: %w", s, err)
	}
	return d, nil
}

// texts yields every string the letter prints from its data (not the renderer's fixed labels).
func (l *Letter) texts(yield func(s string, bold bool)) {
	yield(l.Letterhead, true)
	yield(l.Title, true)
	yield(l.Number, false)
	yield(l.Addressee, false)
	for _, p := range l.Paragraphs {
		yield(p, false)
	}
	for _, f := range l.Facts {
		yield(f.Label, false)
		yield(f.Value, false)
	}
	if l.Table != nil {
		yield(l.Table.Caption, false)
		for _, h := range l.Table.Headers {
			yield(h, true)
		}
		for _, row := range l.Table.Rows {
			for _, c := range row {
				yield(c, false)
			}
		}
	}
	for _, p := range l.Notes {
		yield(p, false)
	}
	yield(l.Closing, false)
	yield(l.Issuer, false)
	for _, s := range l.Signatures {
		yield(s, false)
	}
	yield(l.VerifyCode, false)
	yield(l.VerifyURL, false)
	if l.Scan != nil {
		yield(l.Scan.Caption, false)
	}
}

// mapTexts applies fn to every string of the letter, copying slices so the caller's letter is not
// modified.
func (l Letter) mapTexts(fn func(string) string) Letter {
	each := func(ss []string) []string {
		if ss == nil {
			return nil
		}
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = fn(s)
		}
		return out
	}
	l.Letterhead, l.Title, l.Number, l.Addressee = fn(l.Letterhead), fn(l.Title), fn(l.Number), fn(l.Addressee)
	l.Paragraphs, l.Notes, l.Signatures = each(l.Paragraphs), each(l.Notes), each(l.Signatures)
	if l.Facts != nil {
		facts := make([]Fact, len(l.Facts))
		for i, f := range l.Facts {
			facts[i] = Fact{Label: fn(f.Label), Value: fn(f.Value), Lines: f.Lines}
		}
		l.Facts = facts
	}
	if l.Table != nil {
		t := Table{Caption: fn(l.Table.Caption), Headers: each(l.Table.Headers)}
		for _, row := range l.Table.Rows {
			t.Rows = append(t.Rows, each(row))
		}
		l.Table = &t
	}
	l.Closing, l.Issuer = fn(l.Closing), fn(l.Issuer)
	l.VerifyCode, l.VerifyURL = fn(l.VerifyCode), fn(l.VerifyURL)
	if l.Scan != nil {
		l.Scan = &ScanCode{URL: l.Scan.URL, Caption: fn(l.Scan.Caption)}
	}
	return l
}
