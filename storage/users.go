package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"xinyong/domain"
)

// User is a principal: a person or system that logs in with a password or a bearer token.
type User struct {
	ID           int64          `db:"id"`
	Login        string         `db:"login"`
	DisplayName  string         `db:"display_name"`
	Role         domain.Role    `db:"role"`
	USCC         sql.NullString `db:"uscc"`
	DepartmentID sql.NullString `db:"department_id"`
	ChannelID    sql.NullString `db:"channel_id"`
	Disabled     bool           `db:"disabled"`
	CreatedAt    time.Time      `db:"created_at"`
	// MustChangePassword holds a new or reset account on the password page until its user picks a password.
	MustChangePassword bool `db:"must_change_password"`
	// IsLead marks a department's lead, who may reassign the department's cases.
	IsLead      bool         `db:"is_lead"`
	LastLoginAt sql.NullTime `db:"last_login_at"`
}

const userColumns = `u.id, u.login, u.display_name, u.role, u.uscc, u.department_id, u.channel_id, u.disabled, u.created_at,
	u.must_change_password, u.is_lead, u.last_login_at`

// NewUser describes a user to create or update.
type NewUser struct {
	Login        string
	DisplayName  string
	Role         domain.Role
	USCC         string
	DepartmentID string
	ChannelID    string
	Password     string
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// HashPassword returns the bcrypt hash of a password.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// UpsertUser creates the user or, when the login exists, updates its name, role, binding and password.
func (db *DB) UpsertUser(ctx context.Context, nu NewUser) (User, error) {
	defer db.ForgetCredentials()
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return User{}, err
	}
	var id int64
	err = db.QueryRowxContext(ctx, `
		INSERT INTO users (login, display_name, role, uscc, department_id, channel_id, password_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (login) DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role,
			uscc = EXCLUDED.uscc, department_id = EXCLUDED.department_id, channel_id = EXCLUDED.channel_id,
			password_hash = EXCLUDED.password_hash
		RETURNING id`,
		nu.Login, nu.DisplayName, nu.Role, nullable(nu.USCC), nullable(nu.DepartmentID), nullable(nu.ChannelID), hash).Scan(&id)
	if err != nil {
		return User{}, fmt.Errorf("upsert user %s: %w", nu.Login, err)
	}
	return db.UserByID(ctx, id)
}

// UserByID returns a user.
func (db *DB) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id)
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, notFound(err))
	}
	return u, nil
}

// UserByLogin returns a user.
func (db *DB) UserByLogin(ctx context.Context, login string) (User, error) {
	var u User
	err := db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users u WHERE u.login = $1`, login)
	if err != nil {
		return User{}, fmt.Errorf("user %s: %w", login, notFound(err))
	}
	return u, nil
}

// ListUsers returns every user, by role then login.
func (db *DB) ListUsers(ctx context.Context) ([]User, error) {
	var us []User
	if err := db.SelectContext(ctx, &us, `SELECT `+userColumns+` FROM users u ORDER BY u.role, u.login`); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// ErrBadCredentials is returned for an unknown login, a wrong password or a disabled user alike,
// so a caller cannot tell which logins exist.
var ErrBadCredentials = errors.New("bad credentials")

// dummyHash keeps the time of a login attempt for an unknown user close to that of a known one.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("xinyong-dummy"), bcrypt.DefaultCost)

// Authenticate checks a login and password (without throttling; the login form uses AttemptLogin).
func (db *DB) Authenticate(ctx context.Context, login, password string) (User, error) {
	return authenticate(ctx, db, login, password)
}

func authenticate(ctx context.Context, q sqlx.QueryerContext, login, password string) (User, error) {
	var row struct {
		User
		Hash string `db:"password_hash"`
	}
	err := sqlx.GetContext(ctx, q, &row, `SELECT `+userColumns+`, u.password_hash FROM users u WHERE u.login = $1`, login)
	if errors.Is(err, sql.ErrNoRows) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(row.Hash), []byte(password)) != nil || row.Disabled {
		return User{}, ErrBadCredentials
	}
	return row.User, nil
}

// newSecret returns a random URL-safe secret and the SHA-256 under which it is stored.
func newSecret() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("random: %w", err)
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	return s, hashSecret(s), nil
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Session is a browser session.
type Session struct {
	UserID    int64     `db:"user_id"`
	CSRFToken string    `db:"csrf_token"`
	ExpiresAt time.Time `db:"expires_at"`
}

// CreateSession starts a session for the user and returns the cookie value and the session.
func (db *DB) CreateSession(ctx context.Context, userID int64, ttl time.Duration, remoteAddr string) (string, Session, error) {
	tok, hash, err := newSecret()
	if err != nil {
		return "", Session{}, err
	}
	csrf, _, err := newSecret()
	if err != nil {
		return "", Session{}, err
	}
	s := Session{UserID: userID, CSRFToken: csrf, ExpiresAt: time.Now().Add(ttl)}
	_, err = db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at, remote_addr) VALUES ($1, $2, $3, $4, $5)`,
		hash, userID, csrf, s.ExpiresAt, remoteAddr)
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return tok, s, nil
}

// SessionUser returns the live session behind a cookie value and its user.
func (db *DB) SessionUser(ctx context.Context, token string) (User, Session, error) {
	hash := hashSecret(token)
	key := credKey('s', hash)
	e, gen, ok := db.creds.get(key)
	if ok {
		return e.user, e.session, nil
	}
	var row struct {
		User
		Session
	}
	err := db.GetContext(ctx, &row, `SELECT `+userColumns+`, s.user_id, s.csrf_token, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled`, hash)
	if err != nil {
		return User{}, Session{}, fmt.Errorf("session: %w", notFound(err))
	}
	db.creds.put(key, gen, credEntry{user: row.User, session: row.Session}, row.Session.ExpiresAt)
	return row.User, row.Session, nil
}

// RevokeSession ends the session behind a cookie value.
func (db *DB) RevokeSession(ctx context.Context, token string) error {
	defer db.ForgetCredentials()
	_, err := db.ExecContext(ctx, `UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL`, hashSecret(token))
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// RevokeUserSessions ends every session of a user (after a password change or a compromise).
func (db *DB) RevokeUserSessions(ctx context.Context, userID int64) (int64, error) {
	defer db.ForgetCredentials()
	res, err := db.ExecContext(ctx, `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// RevokeUserTokens revokes every live bearer token of a user (with their sessions, after a compromise).
func (db *DB) RevokeUserTokens(ctx context.Context, userID int64) (int64, error) {
	res, err := db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// APIToken describes a bearer token (never the token itself).
type APIToken struct {
	ID         int64        `db:"id"`
	UserID     int64        `db:"user_id"`
	Name       string       `db:"name"`
	CreatedAt  time.Time    `db:"created_at"`
	LastUsedAt sql.NullTime `db:"last_used_at"`
	RevokedAt  sql.NullTime `db:"revoked_at"`
	ExpiresAt  time.Time    `db:"expires_at"`
}

// DefaultTokenTTL is the lifetime of a bearer token created without an explicit one.
const DefaultTokenTTL = 90 * 24 * time.Hour

const tokenColumns = `id, user_id, name, created_at, last_used_at, revoked_at, expires_at`

// CreateToken issues a bearer token for the user that lives DefaultTokenTTL; only its hash is stored.
func (db *DB) CreateToken(ctx context.Context, userID int64, name string) (string, APIToken, error) {
	return db.CreateTokenTTL(ctx, userID, name, DefaultTokenTTL)
}

// CreateTokenTTL issues a bearer token that expires after ttl.
func (db *DB) CreateTokenTTL(ctx context.Context, userID int64, name string, ttl time.Duration) (string, APIToken, error) {
	tok, hash, err := newSecret()
	if err != nil {
		return "", APIToken{}, err
	}
	var t APIToken
	err = db.GetContext(ctx, &t, `INSERT INTO api_tokens (token_hash, user_id, name, expires_at) VALUES ($1, $2, $3, $4)
		RETURNING `+tokenColumns, hash, userID, name, time.Now().Add(ttl))
	if err != nil {
		return "", APIToken{}, fmt.Errorf("create token: %w", err)
	}
	return "xy_" + tok, t, nil
}

// tokenUserQuery finds a live token's user (every API request runs it: built once).
var tokenUserQuery = `WITH hit AS (
			SELECT t.id AS token_id, t.last_used_at AS token_used, t.expires_at AS token_expires, ` + userColumns + `
			FROM api_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND NOT u.disabled),
		touched AS (
			UPDATE api_tokens SET last_used_at = now() WHERE id IN (SELECT token_id FROM hit
				WHERE token_used IS NULL OR token_used < now() - interval '1 minute'))
		SELECT ` + strings.ReplaceAll(userColumns, "u.", "hit.") + `, hit.token_expires FROM hit`

// TokenUser returns the user behind a live bearer token.
func (db *DB) TokenUser(ctx context.Context, token string) (User, error) {
	hash := hashSecret(trimTokenPrefix(token))
	key := credKey('t', hash)
	e, gen, ok := db.creds.get(key)
	if ok {
		return e.user, nil
	}
	var u struct {
		User
		Expires time.Time `db:"token_expires"`
	}
	// last_used_at is kept to the minute: writing it on every call made each API request a write transaction
	// on one row, so a script's concurrent calls queued behind each other's commits (issue 17).
	err := db.GetContext(ctx, &u, tokenUserQuery, hash)
	if err != nil {
		return User{}, fmt.Errorf("token: %w", notFound(err))
	}
	db.creds.put(key, gen, credEntry{user: u.User}, u.Expires)
	return u.User, nil
}

func trimTokenPrefix(t string) string {
	if len(t) > 3 && t[:3] == "xy_" {
		return t[3:]
	}
	return t
}

// ListTokens returns a user's tokens.
func (db *DB) ListTokens(ctx context.Context, userID int64) ([]APIToken, error) {
	var ts []APIToken
	err := db.SelectContext(ctx, &ts, `SELECT `+tokenColumns+`
		FROM api_tokens WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken revokes a token; userID 0 lets an admin revoke anyone's.
func (db *DB) RevokeToken(ctx context.Context, id, userID int64) error {
	defer db.ForgetCredentials()
	res, err := db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now()
		WHERE id = $1 AND ($2 = 0 OR user_id = $2) AND revoked_at IS NULL`, id, userID)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke token %d: %w", id, ErrNotFound)
	}
	return nil
}

// LoginLimits bound password guessing. Failures are counted per login and source address, so an anonymous caller
// locks only their own address out of an account; a longer, higher cap per login (from every source together)
// bounds a distributed guess, and a cap per address bounds one source trying many logins.
type LoginLimits struct {
	PerSource    int           // failures of one login from one address within Window
	PerAddress   int           // failures from one address (any login) within Window
	Window       time.Duration // e.g. 15 minutes
	PerLogin     int           // failures of one login from all addresses within LoginWindow
	LoginWindow  time.Duration // e.g. 1 hour
	SourceFailed func()        // test hook: called after a password was checked and found wrong
}

// DefaultLoginLimits: 5 failures per login and address in 15 minutes, 30 per address, 50 per login in an hour.
var DefaultLoginLimits = LoginLimits{PerSource: 5, PerAddress: 30, Window: 15 * time.Minute, PerLogin: 50, LoginWindow: time.Hour}

// ErrLoginThrottled is returned, without checking the password, when a limit of LoginLimits is reached.
var ErrLoginThrottled = errors.New("login throttled")

// AttemptLogin checks a login and password under the throttling limits. Counting the failures, checking the
// password and recording the outcome happen in one transaction that holds the login's row of login_locks, so
// parallel attempts on one login are judged one after another and no more than the limit are ever checked.
func (db *DB) AttemptLogin(ctx context.Context, login, password, remoteAddr string, lim LoginLimits) (User, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return User{}, fmt.Errorf("login: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	// The row may be removed by a concurrent clean-up between the insert and the lock: then insert it again.
	for locked := false; !locked; {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_locks (login) VALUES ($1) ON CONFLICT DO NOTHING`, login); err != nil {
			return User{}, fmt.Errorf("login lock: %w", err)
		}
		var got string
		err := tx.GetContext(ctx, &got, `SELECT login FROM login_locks WHERE login = $1 FOR UPDATE`, login)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return User{}, fmt.Errorf("login lock: %w", err)
		}
		locked = err == nil
	}
	var bySource, byAddr, byLogin int
	err = tx.QueryRowxContext(ctx, `SELECT
			count(*) FILTER (WHERE login = $1 AND remote_addr = $2 AND failed_at > now() - $3::interval),
			count(*) FILTER (WHERE remote_addr = $2 AND failed_at > now() - $3::interval),
			count(*) FILTER (WHERE login = $1 AND failed_at > now() - $4::interval)
		FROM login_failures
		WHERE failed_at > now() - greatest($3::interval, $4::interval) AND (login = $1 OR remote_addr = $2)`,
		login, remoteAddr, seconds(lim.Window), seconds(lim.LoginWindow)).Scan(&bySource, &byAddr, &byLogin)
	if err != nil {
		return User{}, fmt.Errorf("count login failures: %w", err)
	}
	if bySource >= lim.PerSource || byAddr >= lim.PerAddress || byLogin >= lim.PerLogin {
		return User{}, ErrLoginThrottled
	}
	u, err := authenticate(ctx, tx, login, password)
	switch {
	case errors.Is(err, ErrBadCredentials):
		if lim.SourceFailed != nil {
			lim.SourceFailed()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (login, remote_addr) VALUES ($1, $2)`, login, remoteAddr); err != nil {
			return User{}, fmt.Errorf("record login failure: %w", err)
		}
	case err != nil:
		return User{}, err
	default:
		// Success forgets this source's failures only: the owner logging in must not reset a guesser elsewhere.
		_, err = tx.ExecContext(ctx, `DELETE FROM login_failures WHERE (login = $1 AND remote_addr = $2)
			OR failed_at < now() - interval '1 day'`, login, remoteAddr)
		if err != nil {
			return User{}, fmt.Errorf("clear login failures: %w", err)
		}
		// Forget the lock rows of logins without recent failures (any name can be tried, so the table would
		// only grow); rows other attempts hold are skipped, never waited for.
		_, err = tx.ExecContext(ctx, `DELETE FROM login_locks WHERE login IN (
				SELECT l.login FROM login_locks l
				WHERE l.login <> $1 AND NOT EXISTS (SELECT 1 FROM login_failures f WHERE f.login = l.login)
				LIMIT 1000 FOR UPDATE SKIP LOCKED)`, login)
		if err != nil {
			return User{}, fmt.Errorf("clear login locks: %w", err)
		}
	}
	if cerr := tx.Commit(); cerr != nil {
		return User{}, fmt.Errorf("login: commit: %w", cerr)
	}
	if err != nil {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

func seconds(d time.Duration) string { return fmt.Sprintf("%d seconds", int(d.Seconds())) }
