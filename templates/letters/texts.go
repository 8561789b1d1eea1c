package letters

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/template"
	"time"
)

// Letter texts
//
// The wording of every letter lives in texts/<kind>.tmpl, a Go text/template whose dot is the kind's
// data (RepairNoticeData for repair_notice.tmpl, …), so the credit office can change wording without
// touching Go code. A file is a set of sections, each {{define "name"}}…{{end}}; text outside the
// sections is ignored (use it for {{/* comments */}}). The sections, all optional except title:
//
//	letterhead  the issuing authority printed in red at the top (发文机关标志); empty: none
//	title       the letter's title (信用修复告知书); required
//	number      the document number (文号)
//	addressee   the main recipient (主送); the colon is added when printing
//	paragraphs  body paragraphs before the facts, one per line
//	facts       key facts, one per line: "label|value", or "label|value|N" for a row at least N lines
//	            high (room to sign or write a date by hand)
//	caption     the caption printed above the table
//	table       a grid: the first line is the headers "a|b|c", every further line a row
//	notes       paragraphs after the table, one per line
//	closing     the last line of the body (特此告知。)
//	issuer      the authority printed above the seal and the date
//	signatures  labels of lines signed by hand (法定代表人（签字）), one per line
//
// Empty lines, and spaces and tabs at either end of a line, are dropped, so a file may be indented
// and spaced freely; a single-line section (title, number, …) spread over several lines is joined
// without separator, as Chinese text has no spaces between words. Everything a {{…}} action prints is
// escaped, so a value holding a line break or "|" can never split a paragraph, fact or table cell: a
// line break inside a value stays a line break inside that item ({{br}} prints one on purpose), and
// "|" prints as itself. Write a literal "|" in wording as the full-width "｜".
//
// Files whose name starts with "_" (texts/_common.tmpl) hold sections shared by every letter, such
// as {{template "remedy" .ReconsiderationBody}}; a letter's own file may redefine them.
//
// The letter's date, verification code and verification URL are not text: they are taken from the
// data's fields Date, VerifyCode and VerifyURL (fields of an embedded Issue count).
//
// Functions, besides text/template's own (if, eq, printf, …):
//
//	date T               2026年4月1日; empty for the zero date (a bare {{.SomeDate}} prints the same)
//	dateOr T "alt"       the date, or alt when it is zero
//	datetime T           2026年6月10日 09:00, in T's own location; empty for the zero time
//	after T1 T2          whether T1 is after T2 (false when T1 is zero and T2 is not)
//	default "alt" V      V, or alt when V is blank (empty or only spaces, zero, empty list)
//	join "、" LIST        the items joined by the separator
//	trim S               S without surrounding spaces (full-width spaces too)
//	trimSuffix "。" S     S without the suffix
//	trimAll "《》" S      S without any of these characters at either end
//	lines S              the non-empty lines of S, trimmed (one paragraph each)
//	nonEmpty LIST        the items that are not blank, trimmed
//	enumerate LIST       the non-blank items as （一）…； （二）…。, punctuated as a list in a letter
//	concat LIST LIST…    the items of every list, in order
//	cn N                 N in Chinese numerals (一, 十二, 二十三) for 1 to 99
//	inc N                N+1 (to number rows from a range index)
//	items "section"      the non-empty lines of another section of the same file (run without
//	                     data), as a list: lists of standard wording, such as default_conditions
//	br                   a line break inside the current item
//
// The embedded texts can be replaced without rebuilding: point XINYONG_LETTER_TEXTS at a directory
// of .tmpl files, each replacing the embedded file of the same name, and call LoadTexts at start-up.

// TextsDirEnv names the environment variable holding a directory of .tmpl files that replace the
// embedded letter texts by name.
const TextsDirEnv = "XINYONG_LETTER_TEXTS"

//go:embed texts/*.tmpl
var embeddedTexts embed.FS

// Section names, in the order of the Letter's fields.
const (
	secLetterhead = "letterhead"
	secTitle      = "title"
	secNumber     = "number"
	secAddressee  = "addressee"
	secParagraphs = "paragraphs"
	secFacts      = "facts"
	secCaption    = "caption"
	secTable      = "table"
	secNotes      = "notes"
	secClosing    = "closing"
	secIssuer     = "issuer"
	secSignatures = "signatures"
)

var sections = []string{
	secLetterhead, secTitle, secNumber, secAddressee, secParagraphs, secFacts, secCaption, secTable,
	secNotes, secClosing, secIssuer, secSignatures,
}

// Values printed by an action are escaped with these two control characters (which no letter can
// print anyway) and restored once the section has been split into items.
const (
	escNewline = '\x1e'
	escBar     = '\x1f'
	escapeFunc = "_print"
)

// kindText is one letter kind's parsed template.
type kindText struct {
	kind   Kind
	tmpl   *template.Template
	source string          // the file it was read from: "embedded:texts/x.tmpl" or a path
	title  string          // the title printed for the zero value of the kind's data
	shared map[string]bool // sections defined by the shared files, which a kind need not use
	// fallback is the embedded template of a kind whose text was replaced from the override directory:
	// a replacement that fails on some data (it passed validation, so that is rare) must not stop a
	// letter from being issued.
	fallback *kindText
}

// textSet is an immutable set of parsed letter texts; LoadTexts swaps in a new one.
type textSet struct {
	kinds map[Kind]*kindText
}

var (
	currentTexts atomic.Pointer[textSet]
	textsInit    sync.Mutex

	registryMu sync.RWMutex
	// registry maps each kind to a sample of its data type, used to validate texts; builtins are the
	// kinds with a typed builder in this package.
	registry = map[Kind]reflect.Type{}
)

// builtinKinds are the kinds with typed builders, in the order Kinds lists them, and their data.
var builtinKinds = []struct {
	kind   Kind
	sample any
}{
	{KindRepairNotice, RepairNoticeData{}},
	{KindDeliveryReceipt, DeliveryReceiptData{}},
	{KindCommitment, CommitmentData{}},
	{KindSupplementNotice, SupplementNoticeData{}},
	{KindNotAccepted, NotAcceptedData{}},
	{KindRepairApproved, RepairDecisionData{}},
	{KindRepairRefused, RepairDecisionData{}},
	{KindWithdrawalNotice, WithdrawalNoticeData{}},
	{KindRectificationNotice, RectificationNoticeData{}},
	{KindWarningInterview, WarningInterviewData{}},
	{KindExtensionNotice, ExtensionNoticeData{}},
	{KindObjectionCommitment, ObjectionCommitmentData{}},
	{KindObjectionResult, ObjectionResultData{}},
	{KindTrainingCertificate, TrainingCertificateData{}},
	{KindRevocationDecision, RevocationDecisionData{}},
	{KindTrainingPlan, TrainingPlanData{}},
	{KindFraudRecord, RecordNoticeData{}},
	{KindSeriousListNotice, RecordNoticeData{}},
	{KindListingRemoved, RecordNoticeData{}},
	{KindListingRefused, RecordNoticeData{}},
	{KindShieldDecision, RecordNoticeData{}},
	{KindShieldRestored, RecordNoticeData{}},
	{KindActivationCode, ActivationCodeData{}},
}

func init() {
	for _, b := range builtinKinds {
		registry[b.kind] = reflect.TypeOf(b.sample)
	}
}

var kindName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// RegisterKind declares a letter kind whose text is texts/<kind>.tmpl, in the embedded texts or in
// the override directory, and a sample of its data (a zero struct, or nil for a text that takes a
// map), against which LoadTexts validates the text. The kind's title is read from its text.
//
// Kinds with an embedded text need no registration to be printed with FromTemplate; registering
// lets the override directory supply the text of a kind that is not embedded (LoadTexts refuses
// files that name no known kind, so that a misspelt file name does not go unnoticed), and lets
// LoadTexts check the text against the data type. Register kinds before calling LoadTexts, typically
// in an init function.
func RegisterKind(k Kind, sample any) error {
	if !kindName.MatchString(string(k)) {
		return fmt.Errorf("letters: kind %q: use lower-case letters, digits and underscores", k)
	}
	var t reflect.Type
	if sample != nil {
		t = reflect.TypeOf(sample)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if old, ok := registry[k]; ok {
		if old != t {
			return fmt.Errorf("letters: kind %q is already registered with data %v", k, old)
		}
		return nil
	}
	registry[k] = t
	return nil
}

func sampleType(k Kind) (reflect.Type, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	t, ok := registry[k]
	return t, ok
}

// LoadTexts reads the letter texts: the embedded ones, replaced by name by the .tmpl files in the
// directory named by XINYONG_LETTER_TEXTS when it is set. Every text is parsed and validated (its
// sections execute on empty and on filled sample data, the title is not empty, table rows match the
// headers, the font has every character of the wording); on any error the texts in use stay as they
// were and the error names the file and line. Call it at start-up to fail fast; calling it again
// re-reads the directory, so wording can change without a restart. Without a call, the first letter
// built loads the texts, falling back to the embedded ones when the directory is invalid.
func LoadTexts() error {
	set, err := loadTextSet(os.Getenv(TextsDirEnv), true)
	if err != nil {
		return err
	}
	textsInit.Lock()
	currentTexts.Store(set)
	textsInit.Unlock()
	return nil
}

// loadedTexts returns the texts in use, loading them on first use.
func loadedTexts() *textSet {
	if set := currentTexts.Load(); set != nil {
		return set
	}
	textsInit.Lock()
	defer textsInit.Unlock()
	if set := currentTexts.Load(); set != nil {
		return set
	}
	dir := os.Getenv(TextsDirEnv)
	// Registered kinds may not have their texts yet (LoadTexts, called at start-up, insists).
	set, err := loadTextSet(dir, false)
	if err != nil && dir != "" {
		slog.Warn("letters: letter texts directory is invalid, using the embedded texts", "dir", dir, "error", err)
		set, err = loadTextSet("", false)
	}
	if err != nil {
		// The embedded texts are tested; failing here is a build defect.
		panic(fmt.Sprintf("letters: embedded letter texts: %v", err))
	}
	currentTexts.Store(set)
	return set
}

// TextInfo describes the text of one letter kind.
type TextInfo struct {
	Kind   Kind
	Title  string
	Source string // "embedded:texts/<kind>.tmpl" or the path of the replacing file
}

// Texts lists the texts in use, in the order of Kinds, for start-up logs and admin pages.
func Texts() []TextInfo {
	set := loadedTexts()
	var out []TextInfo
	for _, k := range kindsOf(set) {
		if kt := set.kinds[k]; kt != nil {
			out = append(out, TextInfo{Kind: k, Title: kt.title, Source: kt.source})
		}
	}
	return out
}

// FromTemplate builds a letter of kind k from its text, with data as the template's dot. Builders
// like RepairNotice call it with their typed data; a kind added as a text alone is printed by calling
// it directly, with a struct or a map[string]any.
func FromTemplate(k Kind, data any) (Letter, error) {
	kt := loadedTexts().kinds[k]
	if kt == nil {
		return Letter{}, fmt.Errorf("%w: no text for letter kind %q", ErrInvalid, k)
	}
	l, err := kt.build(data)
	if err != nil && kt.fallback != nil {
		slog.Warn("letters: replaced letter text failed, using the embedded text", "kind", k, "source", kt.source, "error", err)
		l, err = kt.fallback.build(data)
	}
	if sc, ok := data.(scanCoder); ok && err == nil {
		l.Scan = sc.scanCode()
	}
	return l, err
}

// scanCoder is letter data that prints a QR code in the body (Letter.Scan).
type scanCoder interface{ scanCode() *ScanCode }

// mustBuild is FromTemplate for the typed builders: their texts are embedded and tested with every
// data shape, and a replacement that fails falls back to the embedded text, so an error is a defect.
func mustBuild(k Kind, data any) Letter {
	l, err := FromTemplate(k, data)
	if err != nil {
		panic(err)
	}
	return l
}

// sectionItems returns the lines of a named section of kind k's text, executed without data, or nil.
func sectionItems(k Kind, name string) []string {
	kt := loadedTexts().kinds[k]
	if kt == nil {
		return nil
	}
	items, err := kt.items(name, nil)
	if err != nil {
		return nil
	}
	return items
}

func (kt *kindText) items(name string, data any) ([]string, error) {
	s, err := kt.exec(name, data)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ln := range splitLines(s) {
		out = append(out, unescape(ln))
	}
	return out, nil
}

func (kt *kindText) exec(name string, data any) (string, error) {
	t := kt.tmpl.Lookup(name)
	if t == nil || t.Tree == nil {
		return "", nil
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// build executes every section and assembles the letter.
func (kt *kindText) build(data any) (Letter, error) {
	out := make(map[string]string, len(sections))
	for _, name := range sections {
		s, err := kt.exec(name, data)
		if err != nil {
			return Letter{}, fmt.Errorf("letters: %s: %w", kt.source, err)
		}
		out[name] = s
	}
	l := Letter{
		Kind:       kt.kind,
		Letterhead: single(out[secLetterhead]),
		Title:      single(out[secTitle]),
		Number:     single(out[secNumber]),
		Addressee:  single(out[secAddressee]),
		Paragraphs: multi(out[secParagraphs]),
		Notes:      multi(out[secNotes]),
		Closing:    single(out[secClosing]),
		Issuer:     single(out[secIssuer]),
		Signatures: multi(out[secSignatures]),
	}
	for _, ln := range splitLines(out[secFacts]) {
		parts := strings.Split(ln, "|")
		if len(parts) > 3 {
			return Letter{}, fmt.Errorf("letters: %s: fact %q: write label|value or label|value|lines", kt.source, unescape(ln))
		}
		f := Fact{Label: unescape(trimLine(parts[0]))}
		if len(parts) > 1 {
			f.Value = unescape(trimLine(parts[1]))
		}
		if len(parts) > 2 {
			n, err := strconv.Atoi(trimLine(parts[2]))
			if err != nil || n < 0 || n > 20 {
				return Letter{}, fmt.Errorf("letters: %s: fact %q: the line count %q is not a number from 0 to 20", kt.source, f.Label, parts[2])
			}
			f.Lines = n
		}
		l.Facts = append(l.Facts, f)
	}
	if rows := splitLines(out[secTable]); len(rows) > 0 {
		t := &Table{Caption: single(out[secCaption]), Headers: cells(rows[0]), Rows: [][]string{}}
		for _, r := range rows[1:] {
			t.Rows = append(t.Rows, cells(r))
		}
		l.Table = t
	}
	l.Date, l.VerifyCode, l.VerifyURL = letterMeta(data)
	if l.Title == "" {
		return Letter{}, fmt.Errorf("%w: %s: the title section is empty", ErrInvalid, kt.source)
	}
	return l, nil
}

func trimLine(s string) string { return strings.Trim(s, " \t\r") }

// splitLines returns the non-empty lines of s, trimmed of spaces and tabs but not of full-width
// spaces, which wording uses on purpose (a blank date is 　　　　年　　月　　日).
func splitLines(s string) []string {
	var out []string
	for ln := range strings.SplitSeq(s, "\n") {
		if ln = trimLine(ln); ln != "" {
			out = append(out, ln)
		}
	}
	return out
}

func single(s string) string { return unescape(strings.Join(splitLines(s), "")) }

func multi(s string) []string {
	lines := splitLines(s)
	if lines == nil {
		return nil
	}
	for i, ln := range lines {
		lines[i] = unescape(ln)
	}
	return lines
}

func cells(row string) []string {
	parts := strings.Split(row, "|")
	for i, p := range parts {
		parts[i] = unescape(trimLine(p))
	}
	return parts
}

func unescape(s string) string {
	if !strings.ContainsAny(s, string(escNewline)+string(escBar)) {
		return s
	}
	return strings.NewReplacer(string(escNewline), "\n", string(escBar), "|").Replace(s)
}

// escape is what every action prints through: the value as text/template would print it (dates as
// letters write them), with line breaks and bars that cannot split an item.
func escape(v any) string {
	s := printable(v)
	if !strings.ContainsAny(s, "\r\n|"+string(escNewline)+string(escBar)) {
		return s
	}
	return strings.NewReplacer(
		"\r\n", string(escNewline), "\r", string(escNewline), "\n", string(escNewline), "|", string(escBar),
		string(escNewline), "", string(escBar), "",
	).Replace(s)
}

// printable formats a value the way text/template prints it, except that a date prints as a letter
// writes it and nothing (not "<no value>") stands for a missing value.
func printable(v any) string {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface) {
		if rv.IsNil() {
			return ""
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return ""
	}
	switch x := rv.Interface().(type) {
	case time.Time:
		return FormatDate(x)
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(rv.Interface())
}

// letterMeta reads the date, verification code and URL from the data's fields of these names.
func letterMeta(data any) (date time.Time, code, url string) {
	get := func(name string) any { return nil }
	rv := reflect.ValueOf(data)
	for rv.IsValid() && (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface) && !rv.IsNil() {
		rv = rv.Elem()
	}
	switch {
	case rv.Kind() == reflect.Struct:
		get = func(name string) any {
			if f := rv.FieldByName(name); f.IsValid() && f.CanInterface() {
				return f.Interface()
			}
			return nil
		}
	case rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String:
		get = func(name string) any {
			if v := rv.MapIndex(reflect.ValueOf(name).Convert(rv.Type().Key())); v.IsValid() {
				return v.Interface()
			}
			return nil
		}
	}
	switch d := get("Date").(type) {
	case time.Time:
		date = d
	case string:
		date, _ = ParseDate(d)
	}
	code, _ = get("VerifyCode").(string)
	url, _ = get("VerifyURL").(string)
	return date, code, url
}

// loadTextSet parses the embedded texts, replaced by those in dir, and validates them; complete
// requires a text for every registered kind.
func loadTextSet(dir string, complete bool) (*textSet, error) {
	embedded, err := readEmbedded()
	if err != nil {
		return nil, err
	}
	base, err := parseSet(embedded, nil)
	if err != nil {
		return nil, fmt.Errorf("letters: embedded texts: %w", err)
	}
	if dir == "" {
		if err := base.validate(complete); err != nil {
			return nil, err
		}
		return base, nil
	}
	override, err := readDir(dir)
	if err != nil {
		return nil, err
	}
	var errs []error
	for name := range override {
		k := Kind(strings.TrimSuffix(name, ".tmpl"))
		if strings.HasPrefix(name, "_") || embedded[name] != "" {
			continue
		}
		if _, ok := sampleType(k); !ok {
			errs = append(errs, fmt.Errorf("letters: %s: %q is not a letter kind (register new kinds with RegisterKind; known: %s)",
				filepath.Join(dir, name), k, knownKinds(base)))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	merged := maps.Clone(embedded)
	sources := map[string]string{}
	for name, src := range override {
		merged[name] = src
		sources[name] = filepath.Join(dir, name)
	}
	set, err := parseSet(merged, sources)
	if err != nil {
		return nil, err
	}
	for k, kt := range set.kinds {
		if !strings.HasPrefix(kt.source, "embedded:") && base.kinds[k] != nil {
			kt.fallback = base.kinds[k]
		}
	}
	if err := set.validate(complete); err != nil {
		return nil, err
	}
	return set, nil
}

func knownKinds(set *textSet) string {
	var names []string
	for k := range set.kinds {
		names = append(names, string(k))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func readEmbedded() (map[string]string, error) {
	entries, err := fs.ReadDir(embeddedTexts, "texts")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := embeddedTexts.ReadFile("texts/" + e.Name())
		if err != nil {
			return nil, err
		}
		out[e.Name()] = string(b)
	}
	return out, nil
}

func readDir(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("letters: letter texts directory (%s): %w", TextsDirEnv, err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tmpl") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("letters: letter texts: %w", err)
		}
		out[e.Name()] = string(b)
	}
	return out, nil
}

// parseSet parses every kind file together with the shared files; sources names files that did not
// come from the embedded texts.
func parseSet(files map[string]string, sources map[string]string) (*textSet, error) {
	var shared, kinds []string
	for name := range files {
		if strings.HasPrefix(name, "_") {
			shared = append(shared, name)
		} else {
			kinds = append(kinds, name)
		}
	}
	slices.Sort(shared)
	slices.Sort(kinds)
	source := func(name string) string {
		if s := sources[name]; s != "" {
			return s
		}
		return "embedded:texts/" + name
	}
	set := &textSet{kinds: map[Kind]*kindText{}}
	var errs []error
	reported := map[string]bool{}
	for _, name := range kinds {
		k := Kind(strings.TrimSuffix(name, ".tmpl"))
		if !kindName.MatchString(string(k)) {
			errs = append(errs, fmt.Errorf("letters: %s: a letter text is named <kind>.tmpl, the kind in lower-case letters, digits and underscores", source(name)))
			continue
		}
		kt := &kindText{kind: k, source: source(name)}
		root := template.New(name).Funcs(templateFuncs).Funcs(template.FuncMap{
			"items": func(section string) ([]string, error) { return kt.items(section, nil) },
		})
		var err error
		for _, sh := range shared {
			if _, err = root.New(sh).Parse(files[sh]); err != nil {
				err = fmt.Errorf("%s: %w", source(sh), err)
				break
			}
		}
		kt.shared = map[string]bool{}
		for _, t := range root.Templates() {
			kt.shared[t.Name()] = true
		}
		if err == nil {
			if _, err = root.Parse(files[name]); err != nil {
				err = fmt.Errorf("%s: %w", source(name), err)
			}
		}
		if err != nil {
			// A shared file is parsed with every kind: report its error once.
			if msg := err.Error(); !reported[msg] {
				reported[msg] = true
				errs = append(errs, fmt.Errorf("letters: %w", err))
			}
			continue
		}
		escapeTrees(root)
		kt.tmpl = root
		set.kinds[k] = kt
	}
	return set, errors.Join(errs...)
}
