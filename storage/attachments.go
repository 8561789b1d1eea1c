package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"xinyong/domain"
)

// Attachment is an uploaded file's metadata (its bytes are loaded separately).
type Attachment struct {
	ID           int64          `db:"id"`
	OwnerUserID  int64          `db:"owner_user_id"`
	OwnerLogin   string         `db:"owner_login"`
	OwnerRole    string         `db:"owner_role"`
	USCC         sql.NullString `db:"uscc"`
	DepartmentID sql.NullString `db:"department_id"`
	Filename     string         `db:"filename"`
	ContentType  string         `db:"content_type"`
	SizeBytes    int            `db:"size_bytes"`
	SHA256       string         `db:"sha256"`
	CreatedAt    time.Time      `db:"created_at"`
	// Purpose is how a case uses the file (lists of a case's materials only).
	Purpose string `db:"purpose"`
}

const attachmentColumns = `a.id, a.owner_user_id, a.owner_login, a.owner_role, a.uscc, a.department_id, a.filename,
	a.content_type, a.size_bytes, a.sha256, a.created_at`

// NewAttachment is a checked upload to store.
type NewAttachment struct {
	OwnerUserID  int64
	OwnerLogin   string
	OwnerRole    domain.Role
	USCC         string
	DepartmentID string
	Filename     string
	ContentType  string
	SHA256       string
	Content      []byte
}

// PutAttachment stores an upload and returns its metadata.
func (db *DB) PutAttachment(ctx context.Context, n NewAttachment) (Attachment, error) {
	var a Attachment
	err := db.GetContext(ctx, &a, `INSERT INTO attachments AS a (owner_user_id, owner_login, owner_role, uscc, department_id,
			filename, content_type, size_bytes, sha256, content)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		RETURNING `+attachmentColumns+`, '' AS purpose`,
		n.OwnerUserID, n.OwnerLogin, n.OwnerRole, nullable(n.USCC), nullable(n.DepartmentID), n.Filename, n.ContentType,
		len(n.Content), n.SHA256, n.Content)
	if err != nil {
		return Attachment{}, fmt.Errorf("put attachment %q: %w", n.Filename, err)
	}
	return a, nil
}

// GetAttachment returns an upload's metadata.
func (db *DB) GetAttachment(ctx context.Context, id int64) (Attachment, error) {
	var a Attachment
	if err := db.GetContext(ctx, &a, `SELECT `+attachmentColumns+`, '' AS purpose FROM attachments a WHERE a.id = $1`, id); err != nil {
		return Attachment{}, fmt.Errorf("attachment %d: %w", id, notFound(err))
	}
	return a, nil
}

// AttachmentContent returns an upload's bytes.
func (db *DB) AttachmentContent(ctx context.Context, id int64) ([]byte, error) {
	var b []byte
	if err := db.GetContext(ctx, &b, `SELECT content FROM attachments WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("attachment content %d: %w", id, notFound(err))
	}
	return b, nil
}

// AttachmentReader is who asks to read an upload.
type AttachmentReader struct {
	UserID       int64
	Role         domain.Role
	USCC         string
	DepartmentID string
}

// CanReadAttachment reports whether a principal may read an upload: its owner, the enterprise it belongs to, and
// the department and the credit office handling a repair case that references it.
func (db *DB) CanReadAttachment(ctx context.Context, id int64, r AttachmentReader) (bool, error) {
	var ok bool
	err := db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM attachments a WHERE a.id = $1 AND (
			a.owner_user_id = $2
			OR ($3 = 'enterprise' AND a.uscc = $4::bpchar)
			OR ($3 = 'credit_office' AND EXISTS (SELECT 1 FROM repair_attachments ra WHERE ra.attachment_id = a.id))
			OR ($3 = 'credit_office' AND EXISTS (SELECT 1 FROM objection_attachments oa WHERE oa.attachment_id = a.id))
			OR ($3 = 'department' AND EXISTS (SELECT 1 FROM repair_attachments ra JOIN repairs r ON r.id = ra.repair_id
				WHERE ra.attachment_id = a.id AND r.department_id = $5))
			OR ($3 = 'department' AND EXISTS (SELECT 1 FROM objection_attachments oa JOIN objections o ON o.id = oa.objection_id
				WHERE oa.attachment_id = a.id AND o.department_id = $5))))`,
		id, r.UserID, string(r.Role), r.USCC, r.DepartmentID)
	if err != nil {
		return false, fmt.Errorf("can read attachment %d: %w", id, err)
	}
	return ok, nil
}

// AttachmentsOfEnterprise returns which of ids are uploads belonging to the enterprise (uploaded by one of its
// users); the caller compares the answer with what it asked for.
func (db *DB) AttachmentsOfEnterprise(ctx context.Context, uscc string, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var found []int64
	err := db.SelectContext(ctx, &found, `SELECT id FROM attachments WHERE uscc = $1 AND id = ANY($2) ORDER BY id`,
		uscc, pq.Int64Array(ids))
	if err != nil {
		return nil, fmt.Errorf("attachments of %s: %w", uscc, err)
	}
	return found, nil
}

// AttachmentsOfRepair lists the materials a repair case references, oldest first.
func (db *DB) AttachmentsOfRepair(ctx context.Context, repairID int64) ([]Attachment, error) {
	var as []Attachment
	err := db.SelectContext(ctx, &as, `SELECT `+attachmentColumns+`, ra.purpose FROM repair_attachments ra
		JOIN attachments a ON a.id = ra.attachment_id WHERE ra.repair_id = $1 ORDER BY ra.added_at, a.id`, repairID)
	if err != nil {
		return nil, fmt.Errorf("attachments of repair %d: %w", repairID, err)
	}
	return as, nil
}

// DiscardAttachments deletes uploads of a request that was refused after they were stored; an upload some case
// already refers to is kept (the foreign key decides, so a reference added by another feature is respected too).
// It answers the ids deleted.
func (db *DB) DiscardAttachments(ctx context.Context, ownerUserID int64, ids []int64) ([]int64, error) {
	var gone []int64
	for _, id := range ids {
		res, err := db.ExecContext(ctx, `DELETE FROM attachments WHERE id = $1 AND owner_user_id = $2`, id, ownerUserID)
		var pqe *pq.Error
		if errors.As(err, &pqe) && pqe.Code == "23503" {
			continue
		}
		if err != nil {
			return gone, fmt.Errorf("discard attachment %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			gone = append(gone, id)
		}
	}
	return gone, nil
}
