package domain

import (
	"fmt"
	"strings"
)

// The national 双公示 format: the 行政处罚 data items of the national credit-information data standard, as
// departments' enforcement systems and the national reporting exchange them (usually an Excel file with these
// Chinese headers). Import reads it, export writes it, so an exported file imports again.

// National headers of the 行政处罚 data items, in the order of the standard.
const (
	NatSubjectName       = "行政相对人名称"
	NatSubjectCategory   = "行政相对人类别"
	NatSubjectUSCC       = "行政相对人代码_1(统一社会信用代码)"
	NatLegalRep          = "法定代表人"
	NatDecisionNo        = "行政处罚决定书文号"
	NatViolationType     = "违法行为类型"
	NatFacts             = "违法事实"
	NatLegalBasis        = "处罚依据"
	NatPenaltyCategory   = "处罚类别"
	NatContent           = "处罚内容"
	NatFineWan           = "罚款金额（万元）"
	NatConfiscationWan   = "没收违法所得、没收非法财物的金额（万元）"
	NatLicense           = "暂扣或吊销证照名称及编号"
	NatDecidedOn         = "处罚决定日期"
	NatValidUntil        = "处罚有效期"
	NatPublicationEnds   = "公示截止期"
	NatAuthority         = "处罚机关"
	NatAuthorityUSCC     = "处罚机关统一社会信用代码"
	NatSourceUnit        = "数据来源单位"
	NatSourceUnitUSCC    = "数据来源单位统一社会信用代码"
	NatRemarks           = "备注"
	natSubjectUSCCPlain  = "统一社会信用代码"
	natSubjectUSCCCode1  = "行政相对人代码_1"
	natSubjectUSCCCode1b = "行政相对人代码_1（统一社会信用代码）"
)

// NationalPenaltyHeaders are the national headers in the order of the standard.
var NationalPenaltyHeaders = []string{
	NatSubjectName, NatSubjectCategory, NatSubjectUSCC, NatLegalRep, NatDecisionNo, NatViolationType, NatFacts,
	NatLegalBasis, NatPenaltyCategory, NatContent, NatFineWan, NatConfiscationWan, NatLicense, NatDecidedOn,
	NatValidUntil, NatPublicationEnds, NatAuthority, NatAuthorityUSCC, NatSourceUnit, NatSourceUnitUSCC, NatRemarks,
}

// NormalizeHeader makes a header cell comparable: surrounding and inner blanks dropped, full-width brackets and
// underscores as the standard prints them, so "罚款金额(万元)" and "罚款金额（万元）" are one name.
func NormalizeHeader(h string) string {
	h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
	h = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u3000', '\n', '\r':
			return -1
		case '(':
			return '（'
		case ')':
			return '）'
		case '＿':
			return '_'
		}
		return r
	}, h)
	return h
}

// NationalHeaderAliases are other spellings of national headers found in departments' files, by their normalized
// form, with the header they stand for.
var NationalHeaderAliases = map[string]string{
	NormalizeHeader(natSubjectUSCCPlain):    NatSubjectUSCC,
	NormalizeHeader(natSubjectUSCCCode1):    NatSubjectUSCC,
	NormalizeHeader(natSubjectUSCCCode1b):   NatSubjectUSCC,
	NormalizeHeader("罚款金额(万元)"):             NatFineWan,
	NormalizeHeader("没收违法所得、没收非法财物的金额(万元)"): NatConfiscationWan,
}

// SubjectCategory is the 行政相对人类别 of a record.
type SubjectCategory string

// The categories of the standard.
const (
	SubjectLegalPerson     SubjectCategory = "法人及非法人组织"
	SubjectNaturalPerson   SubjectCategory = "自然人"
	SubjectIndividualTrade SubjectCategory = "个体工商户"
)

// ParseSubjectCategory reads a 行政相对人类别 cell ("" is a legal person, the only kind the platform keeps besides
// individual businesses). ok is false for a word that is none of the categories.
func ParseSubjectCategory(cell string) (SubjectCategory, bool) {
	c := strings.TrimSpace(cell)
	switch {
	case c == "":
		return SubjectLegalPerson, true
	case strings.Contains(c, "自然人"):
		return SubjectNaturalPerson, true
	case strings.Contains(c, "个体"):
		return SubjectIndividualTrade, true
	case strings.Contains(c, "法人") || strings.Contains(c, "组织") || strings.Contains(c, "企业"):
		return SubjectLegalPerson, true
	}
	return "", false
}

// penaltyTypeWords maps the words of a 处罚类别 cell to penalty types: the labels of the types, the wording of the
// Administrative Penalty Law art. 9 and the older wording (1996 law) found in departments' files.
var penaltyTypeWords = map[string]PenaltyType{
	"警告": PenaltyWarning, "通报批评": PenaltyCriticism, "罚款": PenaltyFine,
	"没收违法所得": PenaltyConfiscation, "没收非法财物": PenaltyConfiscation, "没收违法所得、没收非法财物": PenaltyConfiscation,
	"没收":     PenaltyConfiscation,
	"暂扣许可证件": PenaltyLicenseSuspension, "暂扣许可证": PenaltyLicenseSuspension, "暂扣执照": PenaltyLicenseSuspension,
	"暂扣许可证、执照": PenaltyLicenseSuspension,
	"降低资质等级":   PenaltyLicenseDowngrade,
	"吊销许可证件":   PenaltyLicenseRevocation, "吊销许可证": PenaltyLicenseRevocation,
	"限制开展生产经营活动": PenaltyBusinessRestriction,
	"责令关闭":       PenaltyClosure,
	"责令停产停业":     PenaltyProductionSuspension, "责令停业": PenaltyProductionSuspension, "责令停产": PenaltyProductionSuspension,
	"吊销营业执照": PenaltyBusinessLicenseRevocation, "吊销执照": PenaltyBusinessLicenseRevocation,
	"限制从业":       PenaltyPracticeBan,
	"列入严重失信主体名单": PenaltySeriousList, "列入经营异常名录": PenaltyAbnormalList,
	"其他": PenaltyOther, "其他行政处罚": PenaltyOther, "法律、行政法规规定的其他行政处罚": PenaltyOther,
}

// ParsePenaltyTypeWords reads a 处罚类别 cell: Chinese words (警告；罚款；没收违法所得、没收非法财物...) or the
// codes of the API, separated by ；;，,、| or blanks. A type named twice is one type. The error names the first
// word that is no penalty type.
func ParsePenaltyTypeWords(cell string) ([]PenaltyType, error) {
	cell = strings.TrimSpace(cell)
	var out []PenaltyType
	add := func(t PenaltyType) {
		for _, have := range out {
			if have == t {
				return
			}
		}
		out = append(out, t)
	}
	// Whole labels first: some contain a separator ("没收违法所得、没收非法财物").
	for word, t := range penaltyTypeWords {
		if strings.Contains(word, "、") {
			cell = strings.ReplaceAll(cell, word, ";"+string(t)+";")
		}
	}
	words := strings.FieldsFunc(cell, func(r rune) bool {
		return strings.ContainsRune(";；,，、|/ \u3000\t\n", r)
	})
	for _, w := range words {
		if t, ok := penaltyTypeWords[w]; ok {
			add(t)
			continue
		}
		if t := PenaltyType(w); t.Valid() {
			add(t)
			continue
		}
		return nil, fmt.Errorf("处罚类别中的“%s”不是可识别的处罚种类", w)
	}
	return out, nil
}

// PenaltyTypeWords writes penalty types as a 处罚类别 cell (labels separated by "；"), which ParsePenaltyTypeWords reads back.
func PenaltyTypeWords(types []string) string {
	words := make([]string, len(types))
	for i, t := range types {
		words[i] = PenaltyType(t).Label()
	}
	return strings.Join(words, "；")
}

// WanToYuan converts an amount in 万元 (ten thousand yuan) to yuan exactly, by moving the decimal point: "1.5" is
// "15000.00", "0.000001" is "0.01". An amount more precise than a fen, negative, or not a decimal number is an
// error. Thousands separators and a trailing "万元" are tolerated; "" stays "".
func WanToYuan(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "万元"), "万")
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return "", nil
	}
	bad := fmt.Errorf("金额“%s”不是以万元为单位、最多六位小数的非负数字", s)
	mant, exp, err := splitExponent(s)
	if err != nil {
		return "", bad
	}
	whole, frac, hasFrac := strings.Cut(mant, ".")
	if whole == "" && !hasFrac || hasFrac && whole == "" && frac == "" {
		return "", bad
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return "", bad
			}
		}
	}
	// Digits with the decimal point after position point; 万元 to yuan moves it four places right.
	digits := whole + frac
	point := len(whole) + exp + 4
	for point > len(digits) {
		digits += "0"
	}
	for point < 0 {
		digits, point = "0"+digits, point+1
	}
	intPart, fracPart := digits[:point], digits[point:]
	fracPart = strings.TrimRight(fracPart, "0")
	if len(fracPart) > 2 {
		return "", fmt.Errorf("金额“%s”万元精确到分以下，无法换算为元", s)
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	for len(fracPart) < 2 {
		fracPart += "0"
	}
	return intPart + "." + fracPart, nil
}

// YuanToWan writes an amount in yuan ("15000.00") as 万元 ("1.5"), exactly, without trailing zeros.
func YuanToWan(yuan string) string {
	yuan = strings.TrimSpace(yuan)
	if yuan == "" {
		return ""
	}
	whole, frac, _ := strings.Cut(yuan, ".")
	digits := whole + frac
	point := len(whole) - 4
	for point < 1 {
		digits, point = "0"+digits, point+1
	}
	intPart := strings.TrimLeft(digits[:point], "0")
	if intPart == "" {
		intPart = "0"
	}
	fracPart := strings.TrimRight(digits[point:], "0")
	if fracPart == "" {
		return intPart
	}
	return intPart + "." + fracPart
}

// splitExponent splits "1.5E-2" (as spreadsheets store some numbers) into its mantissa and exponent.
func splitExponent(s string) (string, int, error) {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return s, 0, nil
	}
	e := s[i+1:]
	neg := false
	if strings.HasPrefix(e, "+") || strings.HasPrefix(e, "-") {
		neg, e = e[0] == '-', e[1:]
	}
	if e == "" || len(e) > 3 {
		return "", 0, fmt.Errorf("bad exponent")
	}
	n := 0
	for _, r := range e {
		if r < '0' || r > '9' {
			return "", 0, fmt.Errorf("bad exponent")
		}
		n = n*10 + int(r-'0')
	}
	if neg {
		n = -n
	}
	return s[:i], n, nil
}

// SpreadsheetNumber reads a number as a spreadsheet stores it to the 15 significant digits a spreadsheet holds, so
// that the binary noise of a computed cell ("1.4999999999999999E-2" for 0.015) is gone: the digits are rounded half
// up as text, never through floating point. A value that is not a number, or has at most 15 significant digits,
// is answered as it is.
func SpreadsheetNumber(s string) string {
	t := strings.TrimSpace(s)
	mant, exp, err := splitExponent(t)
	if err != nil || mant == "" {
		return s
	}
	whole, frac, _ := strings.Cut(mant, ".")
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return s
			}
		}
	}
	digits, point := whole+frac, len(whole)+exp
	for len(digits) > 0 && digits[0] == '0' {
		digits, point = digits[1:], point-1
	}
	if len(digits) <= 15 {
		return s
	}
	kept := []byte(digits[:15])
	if digits[15] >= '5' {
		i := len(kept) - 1
		for ; i >= 0 && kept[i] == '9'; i-- {
			kept[i] = '0'
		}
		if i < 0 {
			kept, point = append([]byte{'1'}, kept...), point+1
		} else {
			kept[i]++
		}
	}
	d := string(kept)
	var out string
	switch {
	case point <= 0:
		out = "0." + strings.Repeat("0", -point) + d
	case point >= len(d):
		out = d + strings.Repeat("0", point-len(d))
	default:
		out = d[:point] + "." + d[point:]
	}
	if strings.Contains(out, ".") {
		out = strings.TrimRight(strings.TrimRight(out, "0"), ".")
	}
	return out
}
