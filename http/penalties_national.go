package httpapi

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"xinyong/domain"
	"xinyong/storage"
)

// penaltyNationalInput are the national 双公示 items a registration or an import may carry beyond the platform's
// own fields (storage.PenaltyNational); all optional.
type penaltyNationalInput struct {
	storage.PenaltyNational
	// ConfiscationYuan is read like fine_amount_yuan (a number or a string), so it replaces the stored text field.
	ConfiscationYuan yuanField `json:"confiscation_amount_yuan,omitempty"`
}

// nationalItemMax bounds each national text item (备注 and 处罚内容 may be longer).
const nationalItemMax = 500

// parse checks the items: lengths, the amount (yuan, two decimals), and the codes as USCCs.
func (in penaltyNationalInput) parse() (storage.PenaltyNational, *Error) {
	var out storage.PenaltyNational
	for _, f := range []struct {
		field, label string
		v            string
		max          int
		dst          *string
	}{
		{"legal_representative", domain.NatLegalRep, in.LegalRepresentative, 100, &out.LegalRepresentative},
		{"content", domain.NatContent, in.Content, maxTextLen, &out.Content},
		{"license", domain.NatLicense, in.License, nationalItemMax, &out.License},
		{"valid_until", domain.NatValidUntil, in.ValidUntil, 100, &out.ValidUntil},
		{"source_unit", domain.NatSourceUnit, in.SourceUnit, nationalItemMax, &out.SourceUnit},
		{"remarks", domain.NatRemarks, in.Remarks, maxTextLen, &out.Remarks},
	} {
		v := strings.TrimSpace(f.v)
		if utf8.RuneCountInString(v) > f.max {
			return out, invalidField(f.field, "text_too_long", fmt.Sprintf("%s不能超过%d字", f.label, f.max))
		}
		*f.dst = v
	}
	for _, f := range []struct {
		field, label, v string
		dst             *string
	}{
		{"authority_uscc", domain.NatAuthorityUSCC, in.AuthorityUSCC, &out.AuthorityUSCC},
		{"source_unit_uscc", domain.NatSourceUnitUSCC, in.SourceUnitUSCC, &out.SourceUnitUSCC},
	} {
		if v := strings.TrimSpace(f.v); v != "" {
			code, err := domain.NormalizeUSCC(v)
			if err != nil {
				return out, invalidField(f.field, "invalid_uscc", f.label+"："+err.Error())
			}
			*f.dst = code
		}
	}
	if s := strings.TrimSpace(string(in.ConfiscationYuan)); s != "" {
		fen, err := ParseYuan(s)
		if err != nil || strings.HasPrefix(s, "-") {
			return out, invalidField("confiscation_amount_yuan", "invalid_amount", "没收金额必须是不小于0的数字（元），最多两位小数")
		}
		if fen > 0 {
			out.ConfiscationYuan = fmt.Sprintf("%d.%02d", fen/100, fen%100)
		}
	}
	return out, nil
}

// nationalOf reads the national items of an import row: cell answers the row's cell of a column, confiscationYuan
// is the 没收金额 already converted from 万元 ("" when the file has it in yuan or not at all).
func nationalOf(cell func(string) string, numeric bool, confiscationYuan string) penaltyNationalInput {
	in := penaltyNationalInput{PenaltyNational: storage.PenaltyNational{LegalRepresentative: cell("legal_representative"),
		Content: cell("content"), License: cell("license"), ValidUntil: cell("valid_until"),
		AuthorityUSCC: cell("authority_uscc"), SourceUnit: cell("source_unit"), SourceUnitUSCC: cell("source_unit_uscc"),
		Remarks: cell("remarks")}, ConfiscationYuan: yuanField(confiscationYuan)}
	if in.ConfiscationYuan == "" {
		in.ConfiscationYuan = yuanField(cell("confiscation_amount_yuan"))
	}
	if v := in.ValidUntil; v != "" {
		in.ValidUntil = importDate(v, numeric) // a date when it reads as one, else as written (长期…)
	}
	return in
}
