package contract

import "xinyong/templates/letters"

// IssueLetterInput is a letter to build, render and store for a case.
type IssueLetterInput struct {
	CaseKind string
	CaseID   string
	// Version is 1 for a first letter; a correction is a later version that supersedes the earlier ones.
	Version      int
	USCC         string
	DepartmentID string
	// Content is the letter's kind and data; the activity applies the texts in use to it. Workflows set
	// it rather than Letter, so that the wording (XINYONG_LETTER_TEXTS) is read here and never in workflow
	// code, where a changed text would make a replay differ from the run.
	Content *letters.Content `json:",omitempty"`
	// Letter is a letter built by the caller: a kind without a text (the training plan), or the input of
	// a workflow task scheduled before Content existed, which must still be issued as it was built.
	Letter letters.Letter
	// Data is kept with the letter, so what it was rendered from stays on record.
	Data any
	// IssuedBy is the login of the staff who asked for a letter issued outside a workflow (the window's new
	// activation code); empty for the system.
	IssuedBy string `json:",omitempty"`
}

// LetterRef identifies a stored letter.
type LetterRef struct {
	ID         int64  `json:"id"`
	Kind       string `json:"kind"`
	SHA256     string `json:"sha256"`
	VerifyCode string `json:"verify_code"`
	// Number is the 文号 the letter was given when stored (empty in histories recorded before numbering).
	Number string `json:"number,omitempty"`
}

// ErrInvalidLetter is the type of the error of a letter that cannot be built or rendered from its input: a
// retry would fail the same way.
const ErrInvalidLetter = "invalid_letter"
