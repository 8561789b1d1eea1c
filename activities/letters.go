package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"xinyong/storage"
	"xinyong/templates/letters"
)

// IssueLetterInput is a letter to render and store for a case.
type IssueLetterInput struct {
	CaseKind string
	CaseID   string
	// Version is 1 for a first letter; a correction is a later version that supersedes the earlier ones.
	Version      int
	USCC         string
	DepartmentID string
	Letter       letters.Letter
	// Data is kept with the letter, so what it was rendered from stays on record.
	Data any
}

// LetterRef identifies a stored letter.
type LetterRef struct {
	ID         int64  `json:"id"`
	Kind       string `json:"kind"`
	SHA256     string `json:"sha256"`
	VerifyCode string `json:"verify_code"`
}

// IssueLetter renders a letter with a fresh verification code and stores it once per case, kind and version:
// a retry returns the letter stored first.
func (a *Activities) IssueLetter(ctx context.Context, in IssueLetterInput) (LetterRef, error) {
	l := in.Letter
	if l.Title == "" {
		l.Title = letters.DefaultTitle(l.Kind)
	}
	l.VerifyCode = letters.NewVerifyCode()
	l.VerifyURL = strings.TrimRight(a.BaseURL, "/") + "/verify/" + l.VerifyCode
	pdf, err := letters.Render(l)
	if err != nil {
		return LetterRef{}, fmt.Errorf("render %s for %s %s: %w", l.Kind, in.CaseKind, in.CaseID, err)
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
	stored, err := a.DB.PutLetter(ctx, storage.NewLetter{
		Letter: storage.Letter{
			Kind: string(l.Kind), CaseKind: in.CaseKind, CaseID: in.CaseID, Version: in.Version,
			Title: l.Title, Number: l.Number, Issuer: l.Issuer, Addressee: addressee,
			USCC: nullString(in.USCC), DepartmentID: nullString(in.DepartmentID),
			IssuedOn: l.Date, SHA256: letters.SHA256Hex(pdf), VerifyCode: l.VerifyCode, Data: data,
		},
		PDF: pdf,
	})
	if err != nil {
		return LetterRef{}, err
	}
	return LetterRef{ID: stored.ID, Kind: stored.Kind, SHA256: stored.SHA256, VerifyCode: stored.VerifyCode}, nil
}
