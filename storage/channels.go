package storage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
	"xinyong/domain"

	"github.com/lib/pq"
)

// Channel is a publishing channel (公示渠道). Secret is the HMAC key shared with a webhook channel's system: it is
// never shown in JSON.
type Channel struct {
	ID               string             `db:"id" json:"id"`
	Name             string             `db:"name" json:"name"`
	Kind             domain.ChannelKind `db:"kind" json:"kind"`
	DeadlineWorkdays int                `db:"deadline_workdays" json:"deadline_workdays"`
	Active           bool               `db:"active" json:"active"`
	EndpointURL      string             `db:"endpoint_url" json:"endpoint_url"`
	Secret           string             `db:"secret" json:"-"`
	// DepartmentID, when set, makes the channel a department's own site: it publishes only that department's
	// records ("" means every department's).
	DepartmentID string    `db:"department_id" json:"department_id"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
}

// KindLabel is the Chinese name of the channel's kind (pages call it).
func (ch Channel) KindLabel() string { return ch.Kind.Label() }

// FieldError is a value a caller got wrong: the field, a machine code and a Chinese message.
type FieldError struct {
	Field   string
	Code    string
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// ErrorCode is the API error code.
func (e *FieldError) ErrorCode() string { return e.Code }

var channelIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

// MinChannelSecret is the shortest shared secret accepted for a webhook channel (HMAC-SHA256 key).
const MinChannelSecret = 16

// Normalize trims the channel's text fields.
func (ch *Channel) Normalize() {
	ch.ID = strings.TrimSpace(ch.ID)
	ch.Name = strings.TrimSpace(ch.Name)
	ch.Kind = domain.ChannelKind(strings.TrimSpace(string(ch.Kind)))
	ch.EndpointURL = strings.TrimSpace(ch.EndpointURL)
	ch.DepartmentID = strings.TrimSpace(ch.DepartmentID)
}

// Validate checks a channel before it is stored: a webhook needs an https:// endpoint (plain http only on the
// loopback address, for development and tests) and a shared secret; the deadline is 1..30 working days.
func (ch Channel) Validate() error {
	switch {
	case !channelIDRe.MatchString(ch.ID):
		return &FieldError{"id", "invalid_channel_id", "渠道编号须为2至40位小写字母、数字或连字符，且以字母或数字开头"}
	case ch.ID == "queue" || ch.ID == "protocol": // page paths under /channels/
		return &FieldError{"id", "invalid_channel_id", "该渠道编号为系统保留，请换一个"}
	case ch.Name == "" || utf8.RuneCountInString(ch.Name) > 100:
		return &FieldError{"name", "invalid_name", "渠道名称不能为空且不超过100个字"}
	case ch.Kind != domain.ChannelWebhook && ch.Kind != domain.ChannelManual:
		return &FieldError{"kind", "invalid_kind", "渠道类型须为 webhook（系统对接）或 manual（人工确认）"}
	case ch.DeadlineWorkdays < 1 || ch.DeadlineWorkdays > 30:
		return &FieldError{"deadline_workdays", "invalid_deadline", "办结期限须为1至30个工作日"}
	}
	if ch.Kind == domain.ChannelWebhook {
		if err := validEndpoint(ch.EndpointURL); err != nil {
			return err
		}
		if len(ch.Secret) < MinChannelSecret {
			return &FieldError{"secret", "invalid_secret", fmt.Sprintf("系统对接渠道须设置不少于%d个字符的共享密钥", MinChannelSecret)}
		}
	} else if ch.EndpointURL != "" {
		if err := validEndpoint(ch.EndpointURL); err != nil {
			return err
		}
	}
	return nil
}

func validEndpoint(raw string) error {
	bad := &FieldError{"endpoint_url", "invalid_endpoint", "接口地址须为 https:// 开头的完整地址（仅本机测试地址可用 http://）"}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || len(raw) > 500 {
		return bad
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return nil
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return bad
}

const channelColumns = `id, name, kind, deadline_workdays, active, endpoint_url, secret, COALESCE(department_id, '') AS department_id, updated_at`

// UpsertChannel creates a channel or updates its basic fields (name, kind, deadline, active); the demo seed uses
// it. Delivery settings are kept.
func (db *DB) UpsertChannel(ctx context.Context, ch Channel) error {
	_, err := db.NamedExecContext(ctx, `INSERT INTO channels (id, name, kind, deadline_workdays, active)
		VALUES (:id, :name, :kind, :deadline_workdays, :active)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
			deadline_workdays = EXCLUDED.deadline_workdays, active = EXCLUDED.active, updated_at = now()`, ch)
	if err != nil {
		return fmt.Errorf("upsert channel %s: %w", ch.ID, err)
	}
	return nil
}

// channelWriteError maps constraint violations to the caller's mistakes.
func channelWriteError(id string, err error) error {
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique: the id or the name
			if strings.Contains(pe.Constraint, "name") {
				return &FieldError{"name", "duplicate_name", "已有同名的公示渠道"}
			}
			return fmt.Errorf("channel %s: %w", id, ErrConflict)
		case "23503": // foreign key: the department
			return &FieldError{"department_id", "unknown_department", "所属部门不存在"}
		case "23514": // check
			return &FieldError{"kind", "invalid_channel", "渠道设置不完整：系统对接渠道须有接口地址和共享密钥"}
		}
	}
	return fmt.Errorf("save channel %s: %w", id, err)
}

// CreateChannel stores a new channel; an existing id is ErrConflict.
func (db *DB) CreateChannel(ctx context.Context, ch Channel) error {
	_, err := db.ExecContext(ctx, `INSERT INTO channels (id, name, kind, deadline_workdays, active, endpoint_url, secret, department_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, NULLIF($8, ''))`,
		ch.ID, ch.Name, ch.Kind, ch.DeadlineWorkdays, ch.Active, ch.EndpointURL, ch.Secret, ch.DepartmentID)
	if err != nil {
		return channelWriteError(ch.ID, err)
	}
	return nil
}

// UpdateChannel replaces a channel's settings (not its id); ErrNotFound when it does not exist.
func (db *DB) UpdateChannel(ctx context.Context, ch Channel) error {
	res, err := db.ExecContext(ctx, `UPDATE channels SET name = $2, kind = $3, deadline_workdays = $4, active = $5,
			endpoint_url = $6, secret = $7, department_id = NULLIF($8, ''), updated_at = now()
		WHERE id = $1`,
		ch.ID, ch.Name, ch.Kind, ch.DeadlineWorkdays, ch.Active, ch.EndpointURL, ch.Secret, ch.DepartmentID)
	if err != nil {
		return channelWriteError(ch.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("channel %s: %w", ch.ID, ErrNotFound)
	}
	return nil
}

// GetChannel returns a channel.
func (db *DB) GetChannel(ctx context.Context, id string) (Channel, error) {
	var ch Channel
	if err := db.GetContext(ctx, &ch, `SELECT `+channelColumns+` FROM channels WHERE id = $1`, id); err != nil {
		return Channel{}, fmt.Errorf("channel %s: %w", id, notFound(err))
	}
	return ch, nil
}

// ListChannels returns the channels by id.
func (db *DB) ListChannels(ctx context.Context) ([]Channel, error) {
	var cs []Channel
	if err := db.SelectContext(ctx, &cs, `SELECT `+channelColumns+` FROM channels ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	return cs, nil
}

// PublishingChannels lists the active channels a department's records are published on: every active channel,
// except that a department's own site publishes only that department's records.
func (db *DB) PublishingChannels(ctx context.Context, departmentID string) ([]Channel, error) {
	var cs []Channel
	err := db.SelectContext(ctx, &cs, `SELECT `+channelColumns+` FROM channels
		WHERE active AND (department_id IS NULL OR department_id = $1) ORDER BY id`, departmentID)
	if err != nil {
		return nil, fmt.Errorf("publishing channels of %s: %w", departmentID, err)
	}
	return cs, nil
}
