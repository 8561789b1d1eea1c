package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Letter is a stored, immutable letter (its PDF is loaded separately).
type Letter struct {
	ID           int64           `db:"id"`
	Kind         string          `db:"kind"`
	CaseKind     string          `db:"case_kind"`
	CaseID       string          `db:"case_id"`
	Version      int             `db:"version"`
	Title        string          `db:"title"`
	Number       string          `db:"number"`
	Issuer       string          `db:"issuer"`
	Addressee    string          `db:"addressee"`
	USCC         sql.NullString  `db:"uscc"`
	DepartmentID sql.NullString  `db:"department_id"`
	IssuedOn     time.Time       `db:"issued_on"`
	SHA256       string          `db:"sha256"`
	VerifyCode   string          `db:"verify_code"`
	Data         json.RawMessage `db:"data"`
	SupersededBy sql.NullInt64   `db:"superseded_by"`
	CreatedAt    time.Time       `db:"created_at"`
}

const letterColumns = `id, kind, case_kind, case_id, version, title, number, issuer, addressee, uscc, department_id,
	issued_on, sha256, verify_code, data, superseded_by, created_at`

// NewLetter is a rendered letter to store.
type NewLetter struct {
	Letter
	PDF []byte
	// ActivationCode is an enterprise activation code printed on the letter: it is stored (hashed) with the
	// letter, in one transaction, so a code works exactly when the letter that prints it is the one on record.
	ActivationCode string
	// ActivationIssuedBy is the login that gave the code (the window's staff); empty is the system.
	ActivationIssuedBy string
}

// PutLetter stores a letter once per case, kind and version: storing the same again returns the first one,
// so an activity that renders and stores can be retried.
func (db *DB) PutLetter(ctx context.Context, l NewLetter) (Letter, error) {
	return db.PutNumberedLetter(ctx, LetterSeries{}, func(int) (NewLetter, error) { return l, nil })
}

// NextLetterVersion as a letter's version stores it as its case's next version of its kind: a letter issued
// again on request (a new activation code), whose earlier versions it supersedes.
const NextLetterVersion = -1

// LetterSeries is what a letter's number counts in: one issuer's letters of one series (kind) in one year.
type LetterSeries struct {
	Issuer string
	Series string
	Year   int
}

// errLetterExists rolls back a transaction whose letter another attempt stored first, undoing its number.
var errLetterExists = errors.New("letter exists")

// PutNumberedLetter stores the letter that build returns for the next number of series (a zero series
// takes no number; build gets 0), once per case, kind and version. The series' counter row stays locked
// until the letter is stored, so numbers run from 1 without gaps or repeats however many letters are
// issued at once; a letter already stored (a retried activity) is returned as it is and takes no number.
//
// Within one process the letters of a series also wait for each other before they take a connection: waiting on the
// counter row, each held a connection and a transaction, and an import's hundreds of letters of one department
// held every connection of the pool while one of them rendered, so that nothing else could reach the database
// (issue 17). The row lock still orders the letters of several processes.
func (db *DB) PutNumberedLetter(ctx context.Context, series LetterSeries, build func(n int) (NewLetter, error)) (Letter, error) {
	if series.Series != "" {
		v, _ := db.series.LoadOrStore(series, make(chan struct{}, 1))
		turn := v.(chan struct{})
		select {
		case turn <- struct{}{}:
			defer func() { <-turn }()
		case <-ctx.Done():
			return Letter{}, fmt.Errorf("put letter of series %s/%s: %w", series.Issuer, series.Series, ctx.Err())
		}
	}
	var out Letter
	var key NewLetter
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		n := 0
		if series.Series != "" {
			if err := tx.GetContext(ctx, &n, `INSERT INTO letter_counters (issuer, series, year, last) VALUES ($1, $2, $3, 1)
				ON CONFLICT (issuer, series, year) DO UPDATE SET last = letter_counters.last + 1 RETURNING last`,
				series.Issuer, series.Series, series.Year); err != nil {
				return fmt.Errorf("next number: %w", err)
			}
		}
		l, err := build(n)
		if err != nil {
			return err
		}
		if l.Version == 0 {
			l.Version = 1
		}
		if l.Version == NextLetterVersion {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "letter:"+l.CaseKind+":"+l.CaseID+":"+l.Kind); err != nil {
				return fmt.Errorf("lock letter versions: %w", err)
			}
			if err := tx.GetContext(ctx, &l.Version, `SELECT COALESCE(MAX(version), 0) + 1 FROM letters
				WHERE case_kind = $1 AND case_id = $2 AND kind = $3`, l.CaseKind, l.CaseID, l.Kind); err != nil {
				return fmt.Errorf("next letter version: %w", err)
			}
		}
		if l.Data == nil {
			l.Data = json.RawMessage("{}")
		}
		key = l
		res, err := tx.ExecContext(ctx, `INSERT INTO letters (kind, case_kind, case_id, version, title, number, issuer, addressee,
				uscc, department_id, issued_on, sha256, verify_code, pdf, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT (case_kind, case_id, kind, version) DO NOTHING`,
			l.Kind, l.CaseKind, l.CaseID, l.Version, l.Title, l.Number, l.Issuer, l.Addressee,
			l.USCC, l.DepartmentID, l.IssuedOn, l.SHA256, l.VerifyCode, l.PDF, string(l.Data))
		if err != nil {
			return err
		}
		rows, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if rows == 0 {
			return errLetterExists
		}
		if l.ActivationCode != "" && l.USCC.Valid {
			by := l.ActivationIssuedBy
			if by == "" {
				by = "system"
			}
			if err := grantActivationCode(ctx, tx, l.USCC.String, l.ActivationCode, by, ActivationCodeTTL); err != nil {
				return err
			}
		}
		if err := tx.GetContext(ctx, &out, `SELECT `+letterColumns+` FROM letters
			WHERE case_kind = $1 AND case_id = $2 AND kind = $3 AND version = $4`, l.CaseKind, l.CaseID, l.Kind, l.Version); err != nil {
			return err
		}
		if l.Version > 1 {
			_, err = tx.ExecContext(ctx, `UPDATE letters SET superseded_by = $1
				WHERE case_kind = $2 AND case_id = $3 AND kind = $4 AND version < $5 AND superseded_by IS NULL`,
				out.ID, l.CaseKind, l.CaseID, l.Kind, l.Version)
		}
		return err
	})
	if errors.Is(err, errLetterExists) {
		err = db.GetContext(ctx, &out, `SELECT `+letterColumns+` FROM letters
			WHERE case_kind = $1 AND case_id = $2 AND kind = $3 AND version = $4`, key.CaseKind, key.CaseID, key.Kind, key.Version)
	}
	if err != nil {
		return Letter{}, fmt.Errorf("put letter %s %s/%s: %w", key.Kind, key.CaseKind, key.CaseID, err)
	}
	return out, nil
}

// GetLetter returns a letter's metadata.
func (db *DB) GetLetter(ctx context.Context, id int64) (Letter, error) {
	var l Letter
	if err := db.GetContext(ctx, &l, `SELECT `+letterColumns+` FROM letters WHERE id = $1`, id); err != nil {
		return Letter{}, fmt.Errorf("letter %d: %w", id, notFound(err))
	}
	return l, nil
}

// LetterByVerifyCode finds a letter by the code printed on it.
func (db *DB) LetterByVerifyCode(ctx context.Context, code string) (Letter, error) {
	var l Letter
	if err := db.GetContext(ctx, &l, `SELECT `+letterColumns+` FROM letters WHERE verify_code = $1`, code); err != nil {
		return Letter{}, fmt.Errorf("letter by code: %w", notFound(err))
	}
	return l, nil
}

// LetterPDF returns a letter's PDF bytes.
func (db *DB) LetterPDF(ctx context.Context, id int64) ([]byte, error) {
	var b []byte
	if err := db.GetContext(ctx, &b, `SELECT pdf FROM letters WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("letter pdf %d: %w", id, notFound(err))
	}
	return b, nil
}

// LettersOf lists a case's letters, oldest first.
func (db *DB) LettersOf(ctx context.Context, caseKind, caseID string) ([]Letter, error) {
	var ls []Letter
	if err := db.SelectContext(ctx, &ls, `SELECT `+letterColumns+` FROM letters WHERE case_kind = $1 AND case_id = $2 ORDER BY id`, caseKind, caseID); err != nil {
		return nil, fmt.Errorf("letters of %s %s: %w", caseKind, caseID, err)
	}
	return ls, nil
}

// LetterReadableVia tells whether a letter another party issued is part of a case the principal handles: a
// department reads the training certificate a repair case of its own relies on, an agency (by login) the
// certificates of the sessions it ran.
func (db *DB) LetterReadableVia(ctx context.Context, letterID int64, departmentID, agencyLogin string) (bool, error) {
	var ok bool
	err := db.GetContext(ctx, &ok, `SELECT
		($2 <> '' AND EXISTS (SELECT 1 FROM repairs WHERE training_letter_id = $1 AND department_id = $2))
		OR ($3 <> '' AND EXISTS (SELECT 1 FROM training_certificates tc JOIN trainings t ON t.id = tc.training_id
			WHERE tc.letter_id = $1 AND t.agency_login = $3))`, letterID, departmentID, agencyLogin)
	if err != nil {
		return false, fmt.Errorf("letter %d readable via a case: %w", letterID, err)
	}
	return ok, nil
}
