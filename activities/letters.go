package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/templates/letters"
)

// IssueLetter builds a letter from its content (or takes the letter given), renders it with a fresh
// verification code and stores it once per case, kind and version: a retry returns the letter stored first.
func (a *Activities) IssueLetter(ctx context.Context, in IssueLetterInput) (LetterRef, error) {
	l := in.Letter
	activation, err := a.activationFor(ctx, in)
	if err != nil {
		return LetterRef{}, err
	}
	if in.Content != nil {
		built, err := letters.Build(*in.Content)
		if err != nil {
			return LetterRef{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("build %s for %s %s: %v", in.Content.Kind, in.CaseKind, in.CaseID, err), ErrInvalidLetter, err)
		}
		l = built
	}
	if l.Title == "" {
		l.Title = letters.DefaultTitle(l.Kind)
	}
	data, err := json.Marshal(in.Data)
	if err != nil {
		return LetterRef{}, fmt.Errorf("letter data: %w", err)
	}
	if in.Data == nil {
		data = []byte("{}")
	}
	// A certificate names no addressee on paper, but the verification page must say whose it is.
	addressee := l.Addressee
	if addressee == "" && in.USCC != "" {
		if ent, err := a.DB.GetEnterprise(ctx, in.USCC); err == nil {
			addressee = ent.Name
		}
	}
	series, code, err := a.signLetter(ctx, in, &l)
	if err != nil {
		return LetterRef{}, err
	}
	var renderErr error
	stored, err := a.DB.PutNumberedLetter(ctx, series, func(n int) (storage.NewLetter, error) {
		if n > 0 {
			l.Number = fmt.Sprintf("%s%s〔%d〕%d号", code, series.Series, series.Year, n)
		}
		l.VerifyCode = letters.NewVerifyCode()
		l.VerifyURL = strings.TrimRight(a.BaseURL, "/") + "/verify/" + l.VerifyCode
		pdf, err := letters.Render(l)
		if err != nil {
			renderErr = fmt.Errorf("render %s for %s %s: %w", l.Kind, in.CaseKind, in.CaseID, err)
			return storage.NewLetter{}, renderErr
		}
		return storage.NewLetter{
			Letter: storage.Letter{
				Kind: string(l.Kind), CaseKind: in.CaseKind, CaseID: in.CaseID, Version: in.Version,
				Title: l.Title, Number: l.Number, Issuer: l.Issuer, Addressee: addressee,
				USCC: nullString(in.USCC), DepartmentID: nullString(in.DepartmentID),
				IssuedOn: l.Date, SHA256: letters.SHA256Hex(pdf), VerifyCode: l.VerifyCode, Data: data,
			},
			PDF:                pdf,
			ActivationCode:     activation,
			ActivationIssuedBy: in.IssuedBy,
		}, nil
	})
	if renderErr != nil && errors.Is(renderErr, letters.ErrInvalid) {
		return LetterRef{}, temporal.NewNonRetryableApplicationError(renderErr.Error(), ErrInvalidLetter, renderErr)
	}
	if err != nil {
		return LetterRef{}, err
	}
	return LetterRef{ID: stored.ID, Kind: stored.Kind, SHA256: stored.SHA256, VerifyCode: stored.VerifyCode,
		Number: stored.Number}, nil
}

// activationFor gives a 信用修复告知书 to an enterprise without an account a one-time activation code, so that it
// can open its account and apply online. The code is random, so it is made here and never in workflow code; it is
// stored, hashed, with the letter (PutLetter), so a retry that finds the letter stored keeps the code it printed.
func (a *Activities) activationFor(ctx context.Context, in IssueLetterInput) (string, error) {
	if in.Content == nil || in.USCC == "" {
		return "", nil
	}
	switch in.Content.Data.(type) {
	case letters.RepairNoticeData, letters.ActivationCodeData:
	default:
		return "", nil
	}
	if has, err := a.DB.HasAccount(ctx, in.USCC); err != nil || has {
		return "", err
	}
	url := strings.TrimRight(a.BaseURL, "/") + "/activate?uscc=" + in.USCC
	expires := time.Now().Add(storage.ActivationCodeTTL).In(domain.Shanghai)
	switch d := in.Content.Data.(type) {
	case letters.RepairNoticeData:
		code, err := storage.NewActivationCode()
		if err != nil {
			return "", err
		}
		d.ActivationCode, d.ActivationURL, d.ActivationExpires = code, url, expires
		in.Content.Data = d
		return code, nil
	case letters.ActivationCodeData:
		// The window's letter comes with the code its caller made, so that the caller can also show it.
		if d.ActivationCode == "" {
			return "", fmt.Errorf("activation letter for %s without a code", in.USCC)
		}
		d.ActivationURL, d.ActivationExpires = url, expires
		in.Content.Data = d
		return d.ActivationCode, nil
	}
	return "", nil
}

// signLetter puts the issuer's full name (with the city) on a letter a department or the credit office
// issues, and tells which series its number counts in and the 机关代字 that starts it. Workflows give
// the issuer's short name and a provisional number ("<short name><series>〔<year>〕<case>号"); only its
// series is kept. A letter without a number, or one another party issues, is left as it is.
func (a *Activities) signLetter(ctx context.Context, in IssueLetterInput, l *letters.Letter) (storage.LetterSeries, string, error) {
	var key, name, code, short string
	switch {
	case l.Issuer == "":
		return storage.LetterSeries{}, "", nil
	case l.Issuer == CreditOfficeIssuer:
		key, name, code, short = "credit_office", a.creditOfficeName(), a.creditOfficeCode(), "信用办"
	case in.DepartmentID != "":
		d, err := a.DB.GetDepartment(ctx, in.DepartmentID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && d.Name != l.Issuer) {
			return storage.LetterSeries{}, "", nil
		}
		if err != nil {
			return storage.LetterSeries{}, "", err
		}
		key, name, code, short = "department:"+d.ID, d.FullName, d.DocCode, strings.TrimSuffix(d.Name, "局")
	default:
		return storage.LetterSeries{}, "", nil
	}
	if name != "" {
		if l.Letterhead == l.Issuer {
			l.Letterhead = name
		}
		l.Issuer = name
	}
	head, _, ok := strings.Cut(l.Number, "〔")
	if !ok || code == "" || l.Date.IsZero() {
		return storage.LetterSeries{}, "", nil
	}
	// A number that already carries the issuer's 机关代字 was given by the issuer itself (a listing decision's own
	// 文号 printed on its notice): it is kept as it is, not numbered again.
	if strings.HasPrefix(head, code) {
		return storage.LetterSeries{}, "", nil
	}
	series := strings.TrimPrefix(head, short)
	if series == "" {
		return storage.LetterSeries{}, "", nil
	}
	return storage.LetterSeries{Issuer: key, Series: series, Year: l.Date.Year()}, code, nil
}

func (a *Activities) creditOfficeName() string {
	if a.CreditOfficeName != "" {
		return a.CreditOfficeName
	}
	return CreditOfficeLetterName
}

func (a *Activities) creditOfficeCode() string {
	if a.CreditOfficeCode != "" {
		return a.CreditOfficeCode
	}
	return CreditOfficeCodeWord
}
