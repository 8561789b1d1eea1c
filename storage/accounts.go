package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"xinyong/domain"
)

// Account administration: departments, users of every role, passwords, and the activation of enterprise accounts.
// Every change here is written together with its audit entry, in one transaction.

// CreateDepartment adds a department; an existing id or name is a field error.
func (db *DB) CreateDepartment(ctx context.Context, d Department, by AuditEntry) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO departments (id, name, jurisdiction, sector, contact, full_name, short_name, doc_code)
			VALUES (:id, :name, :jurisdiction, :sector, :contact, :full_name, :short_name, :doc_code)`, d)
		var pe *pq.Error
		if errors.As(err, &pe) && pe.Code == "23505" {
			if strings.Contains(pe.Constraint, "name") {
				return &FieldError{"name", "duplicate_department_name", "已有同名的部门"}
			}
			return &FieldError{"id", "duplicate_department_id", "部门代码已被使用"}
		}
		if err != nil {
			return fmt.Errorf("create department %s: %w", d.ID, err)
		}
		by.Action, by.CaseKind, by.CaseID = "department.create", "department", d.ID
		return AuditTx(ctx, tx, by, d)
	})
}

// CreateUser adds an account that must choose its own password at first login.
func (db *DB) CreateUser(ctx context.Context, nu NewUser, isLead bool, by AuditEntry) (User, error) {
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return User{}, err
	}
	var id int64
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.QueryRowxContext(ctx, `
			INSERT INTO users (login, display_name, role, uscc, department_id, channel_id, password_hash, must_change_password, is_lead)
			VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8) RETURNING id`,
			nu.Login, nu.DisplayName, nu.Role, nullable(nu.USCC), nullable(nu.DepartmentID), nullable(nu.ChannelID), hash, isLead).Scan(&id)
		if err != nil {
			return userWriteError(nu, err)
		}
		by.Action, by.CaseKind, by.CaseID = "user.create", "user", nu.Login
		return AuditTx(ctx, tx, by, map[string]any{"role": nu.Role, "display_name": nu.DisplayName, "uscc": nu.USCC,
			"department_id": nu.DepartmentID, "channel_id": nu.ChannelID, "is_lead": isLead})
	})
	if err != nil {
		return User{}, err
	}
	return db.UserByID(ctx, id)
}

// userWriteError maps constraint violations of a new user to the caller's mistakes.
func userWriteError(nu NewUser, err error) error {
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return &FieldError{"login", "duplicate_login", "该用户名已被使用"}
		case "23503":
			switch {
			case strings.Contains(pe.Constraint, "uscc"):
				return &FieldError{"uscc", "unknown_enterprise", "该统一社会信用代码的企业不在系统中"}
			case strings.Contains(pe.Constraint, "department"):
				return &FieldError{"department_id", "unknown_department", "所属部门不存在"}
			case strings.Contains(pe.Constraint, "channel"):
				return &FieldError{"channel_id", "unknown_channel", "所属公示渠道不存在"}
			}
		}
	}
	return fmt.Errorf("create user %s: %w", nu.Login, err)
}

// SetUserDisabled disables (or enables) an account; disabling also ends its sessions and tokens.
func (db *DB) SetUserDisabled(ctx context.Context, id int64, disabled bool, by AuditEntry) (User, error) {
	defer db.ForgetCredentials()
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var login string
		err := tx.GetContext(ctx, &login, `UPDATE users SET disabled = $2 WHERE id = $1 RETURNING login`, id, disabled)
		if err != nil {
			return fmt.Errorf("disable user %d: %w", id, notFound(err))
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, id); err != nil {
				return fmt.Errorf("disable user %d: sessions: %w", id, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, id); err != nil {
				return fmt.Errorf("disable user %d: tokens: %w", id, err)
			}
		}
		by.Action, by.CaseKind, by.CaseID = "user.disable", "user", login
		if !disabled {
			by.Action = "user.enable"
		}
		return AuditTx(ctx, tx, by, nil)
	})
	if err != nil {
		return User{}, err
	}
	return db.UserByID(ctx, id)
}

// ResetPassword gives an account a temporary password it must change at its next login, and ends its sessions.
func (db *DB) ResetPassword(ctx context.Context, id int64, temporary string, by AuditEntry) (User, error) {
	defer db.ForgetCredentials()
	hash, err := HashPassword(temporary)
	if err != nil {
		return User{}, err
	}
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		var login string
		err := tx.GetContext(ctx, &login, `UPDATE users SET password_hash = $2, must_change_password = true WHERE id = $1 RETURNING login`, id, hash)
		if err != nil {
			return fmt.Errorf("reset password of user %d: %w", id, notFound(err))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, id); err != nil {
			return fmt.Errorf("reset password of user %d: sessions: %w", id, err)
		}
		by.Action, by.CaseKind, by.CaseID = "user.reset_password", "user", login
		return AuditTx(ctx, tx, by, nil)
	})
	if err != nil {
		return User{}, err
	}
	return db.UserByID(ctx, id)
}

// ChangePassword sets a user's own password after checking the current one; the user's other sessions end.
// keepSession is the cookie value of the session that asked (empty for a bearer token).
func (db *DB) ChangePassword(ctx context.Context, id int64, current, next, keepSession string) error {
	defer db.ForgetCredentials()
	u, err := db.UserByID(ctx, id)
	if err != nil {
		return err
	}
	if _, err := db.Authenticate(ctx, u.Login, current); err != nil {
		return err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, must_change_password = false, password_changed_at = now()
			WHERE id = $1`, id, hash); err != nil {
			return fmt.Errorf("change password of user %d: %w", id, err)
		}
		keep := []byte{}
		if keepSession != "" {
			keep = hashSecret(keepSession)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND token_hash <> $2`,
			id, keep); err != nil {
			return fmt.Errorf("change password of user %d: sessions: %w", id, err)
		}
		return AuditTx(ctx, tx, AuditEntry{Actor: u.Login, Role: string(u.Role), Action: "user.change_password", CaseKind: "user", CaseID: u.Login}, nil)
	})
}

// MarkLogin notes a successful login for the admin's list.
func (db *DB) MarkLogin(ctx context.Context, id int64) error {
	defer db.ForgetCredentials()
	if _, err := db.ExecContext(ctx, `UPDATE users SET last_login_at = now() WHERE id = $1`, id); err != nil {
		return fmt.Errorf("mark login of user %d: %w", id, err)
	}
	return nil
}

// TemporaryPassword returns a random password that meets the policy, for a new or reset account; the admin hands
// it over and its user replaces it at first login.
func TemporaryPassword() (string, error) {
	// No 0/O, 1/l/I: it is read aloud or copied from paper.
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 12)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b), nil
}

// ActivationCodeTTL is how long a printed activation code works.
const ActivationCodeTTL = 60 * 24 * time.Hour

// Activation throttling: this many wrong codes for one USCC within the window lock its activation for the window.
const (
	MaxActivationFailures   = 5
	ActivationFailureWindow = 15 * time.Minute
)

// activationAlphabet avoids characters people confuse on paper.
const activationAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewActivationCode returns a random activation code in groups of four (XXXX-XXXX-XXXX, about 59 bits).
func NewActivationCode() (string, error) {
	var sb strings.Builder
	for i := 0; i < 12; i++ {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(activationAlphabet))))
		if err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		sb.WriteByte(activationAlphabet[n.Int64()])
	}
	return sb.String(), nil
}

// NormalizeActivationCode makes a typed code comparable: upper case, without spaces and dashes.
func NormalizeActivationCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// IssueActivationCode stores the hash of a new code for the enterprise and retires its older codes.
func (db *DB) IssueActivationCode(ctx context.Context, uscc, code, issuedBy string, ttl time.Duration) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error { return grantActivationCode(ctx, tx, uscc, code, issuedBy, ttl) })
}

func grantActivationCode(ctx context.Context, tx *sqlx.Tx, uscc, code, issuedBy string, ttl time.Duration) error {
	h := hashSecret(NormalizeActivationCode(code))
	_, err := tx.ExecContext(ctx, `INSERT INTO activation_codes (uscc, code_hash, issued_by, expires_at)
		VALUES ($1, $2, $3, now() + $4::interval)`, uscc, h, issuedBy, fmt.Sprintf("%d seconds", int(ttl.Seconds())))
	var pe *pq.Error
	if errors.As(err, &pe) && pe.Code == "23503" {
		return fmt.Errorf("activation code for %s: %w", uscc, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("issue activation code for %s: %w", uscc, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE activation_codes SET retired_at = now()
		WHERE uscc = $1 AND code_hash <> $2 AND used_at IS NULL AND retired_at IS NULL`, uscc, h)
	if err != nil {
		return fmt.Errorf("retire activation codes of %s: %w", uscc, err)
	}
	return AuditTx(ctx, tx, AuditEntry{Actor: issuedBy, Role: issuerRole(issuedBy), Action: "enterprise.activation_code", CaseKind: "enterprise", CaseID: uscc}, nil)
}

// HasAccount tells whether a login exists (an enterprise's login is its USCC).
func (db *DB) HasAccount(ctx context.Context, login string) (bool, error) {
	var ok bool
	if err := db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE login = $1)`, login); err != nil {
		return false, fmt.Errorf("has account %s: %w", login, err)
	}
	return ok, nil
}

func issuerRole(issuedBy string) string {
	if issuedBy == "system" {
		return "system"
	}
	return string(domain.RoleCreditOffice)
}

// Why an activation was refused.
var (
	ErrActivationThrottled = errors.New("activation throttled")
	ErrActivationCode      = errors.New("activation code wrong, used, retired or expired")
	ErrAlreadyActivated    = errors.New("enterprise account exists")
)

// ActivateEnterprise creates the enterprise's account (login = USCC) with the password its user chose, consuming
// the code. Wrong codes are counted per USCC; at MaxActivationFailures within the window nothing is checked.
// The count, the check and the outcome run in one transaction that locks the enterprise's row, so parallel
// guesses are judged one at a time.
func (db *DB) ActivateEnterprise(ctx context.Context, uscc, code, password, remoteAddr string) (User, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	var id int64
	var failure error
	err = db.InTx(ctx, func(tx *sqlx.Tx) error {
		var name string
		err := tx.GetContext(ctx, &name, `SELECT name FROM enterprises WHERE uscc = $1 FOR UPDATE`, uscc)
		if errors.Is(err, sql.ErrNoRows) {
			// An unknown USCC is a wrong code too (and counted), so a caller cannot learn which enterprises exist.
			failure = ErrActivationCode
		} else if err != nil {
			return fmt.Errorf("activate %s: %w", uscc, err)
		}
		var fails int
		if err := tx.GetContext(ctx, &fails, `SELECT count(*) FROM activation_failures WHERE uscc = $1 AND failed_at > now() - $2::interval`,
			uscc, fmt.Sprintf("%d seconds", int(ActivationFailureWindow.Seconds()))); err != nil {
			return fmt.Errorf("activate %s: count failures: %w", uscc, err)
		}
		if fails >= MaxActivationFailures {
			failure = ErrActivationThrottled
			return nil
		}
		var codeID int64
		if failure == nil {
			err = tx.GetContext(ctx, &codeID, `SELECT id FROM activation_codes WHERE uscc = $1 AND code_hash = $2
				AND used_at IS NULL AND retired_at IS NULL AND expires_at > now()`, uscc, hashSecret(NormalizeActivationCode(code)))
			if errors.Is(err, sql.ErrNoRows) {
				failure = ErrActivationCode
			} else if err != nil {
				return fmt.Errorf("activate %s: %w", uscc, err)
			}
		}
		if failure != nil {
			_, err := tx.ExecContext(ctx, `INSERT INTO activation_failures (uscc, remote_addr) VALUES ($1, $2)`, uscc, remoteAddr)
			if err != nil {
				return fmt.Errorf("activate %s: record failure: %w", uscc, err)
			}
			return AuditTx(ctx, tx, AuditEntry{Actor: uscc, Role: string(domain.RoleEnterprise), Action: "enterprise.activation_failed", CaseKind: "enterprise", CaseID: uscc},
				map[string]string{"remote_addr": remoteAddr})
		}
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM users WHERE login = $1)`, uscc); err != nil {
			return fmt.Errorf("activate %s: %w", uscc, err)
		}
		if exists {
			// The code is valid but the account is there already (demo data, an earlier code): change nothing.
			failure = ErrAlreadyActivated
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE activation_codes SET used_at = now() WHERE id = $1`, codeID); err != nil {
			return fmt.Errorf("activate %s: use code: %w", uscc, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM activation_failures WHERE uscc = $1`, uscc); err != nil {
			return fmt.Errorf("activate %s: clear failures: %w", uscc, err)
		}
		err = tx.QueryRowxContext(ctx, `INSERT INTO users (login, display_name, role, uscc, password_hash, password_changed_at)
			VALUES ($1, $2, 'enterprise', $3, $4, now()) RETURNING id`, uscc, name, uscc, hash).Scan(&id)
		if err != nil {
			return fmt.Errorf("activate %s: create user: %w", uscc, err)
		}
		return AuditTx(ctx, tx, AuditEntry{Actor: uscc, Role: string(domain.RoleEnterprise), Action: "enterprise.activate", CaseKind: "enterprise", CaseID: uscc},
			map[string]string{"remote_addr": remoteAddr})
	})
	if err != nil {
		return User{}, err
	}
	if failure != nil {
		return User{}, failure
	}
	return db.UserByID(ctx, id)
}
