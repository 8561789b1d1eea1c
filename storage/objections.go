package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"xinyong/domain"
)

// ObjectionProgress is what the objection workflow knows about its case and writes to the row at every step.
type ObjectionProgress struct {
	Status             domain.ObjectionStatus  `db:"status" json:"status"`
	Holder             domain.Holder           `db:"holder" json:"holder"`
	MarkDue            domain.Date             `db:"mark_due" json:"mark_due"`
	MarkedOn           domain.Date             `db:"marked_on" json:"marked_on"`
	ForwardDue         domain.Date             `db:"forward_due" json:"forward_due"`
	ForwardedOn        domain.Date             `db:"forwarded_on" json:"forwarded_on"`
	VerifyDue          domain.Date             `db:"verify_due" json:"verify_due"`
	OriginalVerifyDue  domain.Date             `db:"original_verify_due" json:"original_verify_due"`
	Extended           bool                    `db:"extended" json:"extended"`
	ExtendedOn         domain.Date             `db:"extended_on" json:"extended_on"`
	ExtensionReason    string                  `db:"extension_reason" json:"extension_reason"`
	Overdue            bool                    `db:"overdue" json:"overdue"`
	Outcome            domain.ObjectionOutcome `db:"outcome" json:"outcome"`
	OutcomeReason      string                  `db:"outcome_reason" json:"outcome_reason"`
	Corrections        json.RawMessage         `db:"corrections" json:"corrections"`
	ResolvedOn         domain.Date             `db:"resolved_on" json:"resolved_on"`
	ResolvedBy         string                  `db:"resolved_by" json:"resolved_by"`
	ResolvedInTime     *bool                   `db:"resolved_in_time" json:"resolved_in_time"`
	ResultNo           string                  `db:"result_no" json:"result_no"`
	PenaltyVersion     int                     `db:"penalty_version" json:"penalty_version"`
	CommitmentLetterID int64                   `db:"commitment_letter_id" json:"commitment_letter_id"`
	ExtensionLetterID  int64                   `db:"extension_letter_id" json:"extension_letter_id"`
	ResultLetterID     int64                   `db:"result_letter_id" json:"result_letter_id"`
	WithdrawalID       int64                   `db:"withdrawal_id" json:"withdrawal_id"`
	RepairReopened     bool                    `db:"repair_reopened" json:"repair_reopened"`
}

// Objection is an objection case: the application and where its procedure stands.
type Objection struct {
	ID                   int64                   `db:"id"`
	PenaltyID            int64                   `db:"penalty_id"`
	USCC                 string                  `db:"uscc"`
	DepartmentID         string                  `db:"department_id"`
	RepairID             int64                   `db:"repair_id"`
	Grounds              domain.ObjectionGrounds `db:"grounds"`
	Statement            string                  `db:"statement"`
	RuleSet              string                  `db:"rule_set"`
	FiledOn              domain.Date             `db:"filed_on"`
	FiledBy              string                  `db:"filed_by"`
	FiledByRole          string                  `db:"filed_by_role"`
	CommitmentAcceptedAt time.Time               `db:"commitment_accepted_at"`
	CommitmentRemoteAddr string                  `db:"commitment_remote_addr"`
	CreatedAt            time.Time               `db:"created_at"`
	UpdatedAt            time.Time               `db:"updated_at"`
	ClosedAt             sql.NullTime            `db:"closed_at"`
	Seq                  int64                   `db:"seq"`
	ObjectionProgress
	// From the record and the department (reads only).
	DecisionNo     string               `db:"decision_no"`
	EnterpriseName string               `db:"enterprise_name"`
	DepartmentName string               `db:"department_name"`
	PenaltyStatus  domain.PenaltyStatus `db:"penalty_status"`
}

// MarksRecord says whether the objection concerns the published record (and so marks it on the channels), rather
// than a refused repair.
func (o Objection) MarksRecord() bool { return o.Grounds.MarksRecord() }

// objectionColumns reads the case with its record's decision number, enterprise and department; COALESCE keeps the
// nullable columns scannable into plain values (0 = none).
const objectionColumns = `o.id, o.penalty_id, o.uscc, o.department_id, COALESCE(o.repair_id, 0) AS repair_id, o.grounds,
	o.statement, o.rule_set, o.filed_on, o.filed_by, o.filed_by_role, o.commitment_accepted_at, o.commitment_remote_addr,
	o.created_at, o.updated_at, o.closed_at, o.seq, o.status, o.holder, o.mark_due, o.marked_on, o.forward_due,
	o.forwarded_on, o.verify_due, o.original_verify_due, o.extended, o.extended_on, o.extension_reason, o.overdue,
	COALESCE(o.outcome, '') AS outcome, o.outcome_reason, o.corrections, o.resolved_on, o.resolved_by, o.resolved_in_time,
	o.result_no, COALESCE(o.penalty_version, 0) AS penalty_version,
	COALESCE(o.commitment_letter_id, 0) AS commitment_letter_id, COALESCE(o.extension_letter_id, 0) AS extension_letter_id,
	COALESCE(o.result_letter_id, 0) AS result_letter_id, COALESCE(o.withdrawal_id, 0) AS withdrawal_id, o.repair_reopened,
	p.decision_no, p.enterprise_name, d.name AS department_name, p.status AS penalty_status`

const objectionFrom = ` FROM objections o JOIN penalties p ON p.id = o.penalty_id JOIN departments d ON d.id = o.department_id`

// objectionOpen is the SQL condition of a case still in progress.
const objectionOpen = `o.status <> 'closed'`

// NewObjection is an application to store.
type NewObjection struct {
	// ID is the case's id reserved with ReserveObjectionID (the objection workflow writes its own row); 0 takes the
	// next.
	ID                   int64
	PenaltyID            int64
	USCC                 string
	DepartmentID         string
	RepairID             int64
	Grounds              domain.ObjectionGrounds
	Statement            string
	RuleSet              string
	FiledOn              domain.Date
	FiledBy              string
	FiledByRole          domain.Role
	CommitmentAcceptedAt time.Time
	CommitmentRemoteAddr string
	AttachmentIDs        []int64
}

// ErrObjectionOpen is returned when the applicant already has an open objection on the record (or the refused
// repair); OpenObjectionID says which.
type ErrObjectionOpen struct{ OpenObjectionID int64 }

func (e *ErrObjectionOpen) Error() string {
	return fmt.Sprintf("objection %d is open for this record", e.OpenObjectionID)
}

// ReserveObjectionID allocates the id of a new objection case, so that its workflow (objection-<id>) can be
// started before the row exists and write the row itself.
func (db *DB) ReserveObjectionID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.GetContext(ctx, &id, `SELECT nextval(pg_get_serial_sequence('objections', 'id'))`); err != nil {
		return 0, fmt.Errorf("reserve objection id: %w", err)
	}
	return id, nil
}

// OpenObjectionOf returns the applicant's open objection on a record (or on a refused repair, repairID), or 0.
func (db *DB) OpenObjectionOf(ctx context.Context, penaltyID int64, uscc string, repairID int64) (int64, error) {
	var open int64
	err := db.GetContext(ctx, &open, `SELECT o.id FROM objections o WHERE o.penalty_id = $1 AND o.uscc = $2
		AND COALESCE(o.repair_id, 0) = $3 AND `+objectionOpen+` ORDER BY o.id LIMIT 1`, penaltyID, uscc, repairID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open objections to penalty %d: %w", penaltyID, err)
	}
	return open, nil
}

// CreateObjection stores an application with its evidence and the audit entry of the filing, all or nothing. An
// applicant with an open objection on the same record (or refused repair) gets *ErrObjectionOpen and nothing is
// stored. With a reserved n.ID, storing it again is a no-op (the workflow's activity may run twice).
func (db *DB) CreateObjection(ctx context.Context, n NewObjection, e AuditEntry, details func(id int64) any) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		// The record's row lock serializes two filings for it, so the second sees the first.
		var pid int64
		if err := tx.GetContext(ctx, &pid, `SELECT id FROM penalties WHERE id = $1 FOR UPDATE`, n.PenaltyID); err != nil {
			return fmt.Errorf("objection to penalty %d: %w", n.PenaltyID, notFound(err))
		}
		if n.ID != 0 {
			var exists bool
			if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM objections WHERE id = $1)`, n.ID); err != nil {
				return fmt.Errorf("objection %d: %w", n.ID, err)
			}
			if exists {
				id = n.ID
				return nil
			}
		}
		var open int64
		err := tx.GetContext(ctx, &open, `SELECT o.id FROM objections o WHERE o.penalty_id = $1 AND o.uscc = $2
			AND COALESCE(o.repair_id, 0) = $3 AND `+objectionOpen+` ORDER BY o.id LIMIT 1`, n.PenaltyID, n.USCC, n.RepairID)
		if err == nil {
			return &ErrObjectionOpen{OpenObjectionID: open}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("open objections to penalty %d: %w", n.PenaltyID, err)
		}
		err = tx.GetContext(ctx, &id, `INSERT INTO objections (id, penalty_id, uscc, department_id, repair_id, grounds,
				statement, rule_set, filed_on, filed_by, filed_by_role, commitment_accepted_at, commitment_remote_addr)
			VALUES (COALESCE(NULLIF($1::bigint, 0), nextval(pg_get_serial_sequence('objections', 'id'))), $2, $3, $4,
				NULLIF($5, 0), $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			n.ID, n.PenaltyID, n.USCC, n.DepartmentID, n.RepairID, n.Grounds, n.Statement, n.RuleSet, n.FiledOn, n.FiledBy,
			string(n.FiledByRole), n.CommitmentAcceptedAt, n.CommitmentRemoteAddr)
		if err != nil {
			return fmt.Errorf("insert objection to penalty %d: %w", n.PenaltyID, err)
		}
		for _, aid := range n.AttachmentIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO objection_attachments (objection_id, attachment_id) VALUES ($1, $2)
				ON CONFLICT DO NOTHING`, id, aid); err != nil {
				return fmt.Errorf("link attachment %d to objection %d: %w", aid, id, err)
			}
		}
		e.CaseKind, e.CaseID = "objection", strconv.FormatInt(id, 10)
		key := "objection-" + e.CaseID + ":submitted"
		e.DedupKey = &key
		var d any
		if details != nil {
			d = details(id)
		}
		return AuditTx(ctx, tx, e, d)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// GetObjection returns a case.
func (db *DB) GetObjection(ctx context.Context, id int64) (Objection, error) {
	var o Objection
	if err := db.GetContext(ctx, &o, `SELECT `+objectionColumns+objectionFrom+` WHERE o.id = $1`, id); err != nil {
		return Objection{}, fmt.Errorf("objection %d: %w", id, notFound(err))
	}
	return o, nil
}

// ObjectionFilter selects objection cases for a list.
type ObjectionFilter struct {
	CaseFilter
	// ChannelID keeps the cases that asked that channel to do something.
	ChannelID string
	// Brief reads only what a case's row in a list page shows (objectionBriefColumns); the other fields stay empty.
	Brief bool
}

// objectionBriefColumns are what a list page's row of a case shows: a quarter of the case's columns, each written
// out as text by PostgreSQL and parsed again here (a department's home page lists fifty cases, issue 17).
const objectionBriefColumns = `o.id, o.penalty_id, o.uscc, o.department_id, o.grounds, o.filed_on, o.status, o.verify_due,
	o.overdue, COALESCE(o.outcome, '') AS outcome, p.decision_no, p.enterprise_name, d.name AS department_name`

// ListObjections lists cases, overdue ones first, then the newest first.
func (db *DB) ListObjections(ctx context.Context, f ObjectionFilter) ([]Objection, error) {
	return runOne(ctx, db, func(b *Batch, out *[]Objection) { b.Objections(f, out) })
}

// Objections adds ListObjections's read to b.
func (b *Batch) Objections(f ObjectionFilter, out *[]Objection) {
	c := caseConds("o", f.CaseFilter, domain.ObjectionStatuses, objectionOpen)
	c.addIf("EXISTS (SELECT 1 FROM objection_channels x WHERE x.objection_id = o.id AND x.channel_id = $?)", f.ChannelID)
	columns := objectionColumns
	if f.Brief {
		columns = objectionBriefColumns
	}
	addCaseList(b, "list objections", "o", columns+objectionFrom, c, f.Limit, out)
}

// ObjectionStepRecord is one step of a case as the workflow records it: its progress (written only when newer than
// what the row holds) and the audit entry (once, by its key).
type ObjectionStepRecord struct {
	ObjectionID int64
	Seq         int64
	Progress    ObjectionProgress
	Audit       AuditEntry
	Details     any
}

// RecordObjectionStep writes a step of a case in one transaction; a retried step writes nothing twice and an older
// step arriving late never overwrites a newer one. The record's "异议处理中" flag follows its cases: it is set while a
// case about the record is submitted or being verified.
func (db *DB) RecordObjectionStep(ctx context.Context, s ObjectionStepRecord) error {
	p := s.Progress
	corrections := p.Corrections
	if len(corrections) == 0 {
		corrections = json.RawMessage("{}")
	}
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		var penaltyID int64
		err := tx.GetContext(ctx, &penaltyID, `UPDATE objections SET seq = $2, status = $3, holder = $4, mark_due = $5,
				marked_on = $6, forward_due = $7, forwarded_on = $8, verify_due = $9, original_verify_due = $10,
				extended = $11, extended_on = $12, extension_reason = $13, overdue = $14, outcome = NULLIF($15, ''),
				outcome_reason = $16, corrections = $17, resolved_on = $18, resolved_by = $19, resolved_in_time = $20,
				result_no = $21, penalty_version = NULLIF($22, 0), commitment_letter_id = NULLIF($23, 0),
				extension_letter_id = NULLIF($24, 0), result_letter_id = NULLIF($25, 0), withdrawal_id = NULLIF($26, 0),
				repair_reopened = $27,
				closed_at = CASE WHEN $3 = 'closed' THEN COALESCE(closed_at, now()) ELSE NULL END,
				updated_at = now()
			WHERE id = $1 AND seq < $2 RETURNING penalty_id`,
			s.ObjectionID, s.Seq, p.Status, p.Holder, p.MarkDue, p.MarkedOn, p.ForwardDue, p.ForwardedOn, p.VerifyDue,
			p.OriginalVerifyDue, p.Extended, p.ExtendedOn, p.ExtensionReason, p.Overdue, p.Outcome, p.OutcomeReason,
			string(corrections), p.ResolvedOn, p.ResolvedBy, p.ResolvedInTime, p.ResultNo, p.PenaltyVersion,
			p.CommitmentLetterID, p.ExtensionLetterID, p.ResultLetterID, p.WithdrawalID, p.RepairReopened)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// Written already by a newer step (or this one, retried): only the audit entry may be missing.
		case err != nil:
			return fmt.Errorf("record objection %d step %d: %w", s.ObjectionID, s.Seq, err)
		default:
			if _, err := tx.ExecContext(ctx, `UPDATE penalties SET flagged_objection = EXISTS (SELECT 1 FROM objections o
					WHERE o.penalty_id = penalties.id AND o.grounds <> 'against_refusal' AND o.status IN ('submitted', 'verifying')),
					updated_at = now()
				WHERE id = $1`, penaltyID); err != nil {
				return fmt.Errorf("objection flag of penalty %d: %w", penaltyID, err)
			}
		}
		return AuditTx(ctx, tx, s.Audit, s.Details)
	})
}

// AttachmentsOwnedBy returns which of ids the caller may cite as evidence: its own uploads, and (for an
// enterprise, uscc set) every upload of the enterprise.
func (db *DB) AttachmentsOwnedBy(ctx context.Context, userID int64, uscc string, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var found []int64
	err := db.SelectContext(ctx, &found, `SELECT id FROM attachments WHERE id = ANY($1)
		AND (owner_user_id = $2 OR ($3::bpchar <> '' AND uscc = $3::bpchar)) ORDER BY id`, pq.Int64Array(ids), userID, uscc)
	if err != nil {
		return nil, fmt.Errorf("attachments of user %d: %w", userID, err)
	}
	return found, nil
}

// AttachmentsOfObjection lists the evidence of a case, oldest first.
func (db *DB) AttachmentsOfObjection(ctx context.Context, objectionID int64) ([]Attachment, error) {
	var as []Attachment
	err := db.SelectContext(ctx, &as, `SELECT `+attachmentColumns+`, 'evidence' AS purpose FROM objection_attachments oa
		JOIN attachments a ON a.id = oa.attachment_id WHERE oa.objection_id = $1 ORDER BY oa.added_at, a.id`, objectionID)
	if err != nil {
		return nil, fmt.Errorf("attachments of objection %d: %w", objectionID, err)
	}
	return as, nil
}

// PublishedChannel is a channel that shows a record now.
type PublishedChannel struct {
	ChannelID        string             `db:"channel_id"`
	Name             string             `db:"name"`
	Kind             domain.ChannelKind `db:"kind"`
	DeadlineWorkdays int                `db:"deadline_workdays"`
}

// PublishedChannelsOf lists the channels on which a record is published (confirmed and not withdrawn).
func (db *DB) PublishedChannelsOf(ctx context.Context, penaltyID int64) ([]PublishedChannel, error) {
	var cs []PublishedChannel
	err := db.SelectContext(ctx, &cs, `SELECT p.channel_id, c.name, c.kind, c.deadline_workdays FROM publications p
		JOIN channels c ON c.id = p.channel_id WHERE p.penalty_id = $1 AND p.status = 'published' ORDER BY p.channel_id`, penaltyID)
	if err != nil {
		return nil, fmt.Errorf("published channels of %d: %w", penaltyID, err)
	}
	return cs, nil
}

// ObjectionChannel is one thing a channel is asked to do for a case, with the channel's current delivery
// settings (read at every attempt, so a corrected endpoint is used by the next retry).
type ObjectionChannel struct {
	ObjectionID int64                  `db:"objection_id"`
	ChannelID   string                 `db:"channel_id"`
	Name        string                 `db:"name"`
	Kind        domain.ChannelKind     `db:"kind"`
	Action      domain.ObjectionAction `db:"action"`
	Status      domain.ChannelStatus   `db:"status"`
	DueOn       domain.Date            `db:"due_on"`
	Attempts    int                    `db:"attempts"`
	SentAt      sql.NullTime           `db:"sent_at"`
	ConfirmedAt sql.NullTime           `db:"confirmed_at"`
	OverdueAt   sql.NullTime           `db:"overdue_at"`
	ConfirmedBy string                 `db:"confirmed_by"`
	Reference   string                 `db:"reference"`
	LastError   string                 `db:"last_error"`
	EndpointURL string                 `db:"endpoint_url"`
	Secret      string                 `db:"secret"`
}

const objectionChannelColumns = `oc.objection_id, oc.channel_id, c.name, c.kind, oc.action, oc.status, oc.due_on, oc.attempts,
	oc.sent_at, oc.confirmed_at, oc.overdue_at, oc.confirmed_by, oc.reference, oc.last_error, c.endpoint_url, c.secret`

// ObjectionChannelDue is a channel asked to act by a date.
type ObjectionChannelDue struct {
	ChannelID string
	DueOn     domain.Date
}

// OpenObjectionChannels asks channels to do action for a case (once: a second call changes nothing) and returns the
// case's rows for that action.
func (db *DB) OpenObjectionChannels(ctx context.Context, objectionID int64, action domain.ObjectionAction, chans []ObjectionChannelDue) ([]ObjectionChannel, error) {
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		for _, c := range chans {
			if _, err := tx.ExecContext(ctx, `INSERT INTO objection_channels (objection_id, channel_id, action, due_on)
				VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, objectionID, c.ChannelID, action, c.DueOn); err != nil {
				return fmt.Errorf("objection %d channel %s %s: %w", objectionID, c.ChannelID, action, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var cs []ObjectionChannel
	if err := db.SelectContext(ctx, &cs, `SELECT `+objectionChannelColumns+` FROM objection_channels oc
		JOIN channels c ON c.id = oc.channel_id WHERE oc.objection_id = $1 AND oc.action = $2 ORDER BY oc.channel_id`,
		objectionID, action); err != nil {
		return nil, fmt.Errorf("channels of objection %d: %w", objectionID, err)
	}
	return cs, nil
}

// ObjectionChannels lists everything the channels were asked to do for a case, by action then channel.
func (db *DB) ObjectionChannels(ctx context.Context, objectionID int64) ([]ObjectionChannel, error) {
	var cs []ObjectionChannel
	err := db.SelectContext(ctx, &cs, `SELECT `+objectionChannelColumns+` FROM objection_channels oc
		JOIN channels c ON c.id = oc.channel_id WHERE oc.objection_id = $1
		ORDER BY CASE oc.action WHEN 'mark' THEN 0 ELSE 1 END, oc.channel_id`, objectionID)
	if err != nil {
		return nil, fmt.Errorf("channels of objection %d: %w", objectionID, err)
	}
	return cs, nil
}

// GetObjectionChannel returns one channel action of a case.
func (db *DB) GetObjectionChannel(ctx context.Context, objectionID int64, channelID string, action domain.ObjectionAction) (ObjectionChannel, error) {
	var oc ObjectionChannel
	err := db.GetContext(ctx, &oc, `SELECT `+objectionChannelColumns+` FROM objection_channels oc
		JOIN channels c ON c.id = oc.channel_id WHERE oc.objection_id = $1 AND oc.channel_id = $2 AND oc.action = $3`,
		objectionID, channelID, action)
	if err != nil {
		return ObjectionChannel{}, fmt.Errorf("objection %d channel %s %s: %w", objectionID, channelID, action, notFound(err))
	}
	return oc, nil
}

// BeginObjectionAttempt counts one attempt to call a channel's system (status sent) and returns the row; a
// confirmed or cancelled one is returned unchanged, so a retry after success sends nothing.
func (db *DB) BeginObjectionAttempt(ctx context.Context, objectionID int64, channelID string, action domain.ObjectionAction) (ObjectionChannel, error) {
	_, err := db.ExecContext(ctx, `UPDATE objection_channels SET attempts = attempts + 1, sent_at = COALESCE(sent_at, now()),
			status = CASE WHEN status IN ('pending', 'failed') THEN 'sent' ELSE status END
		WHERE objection_id = $1 AND channel_id = $2 AND action = $3 AND status NOT IN ('confirmed', 'cancelled')`,
		objectionID, channelID, action)
	if err != nil {
		return ObjectionChannel{}, fmt.Errorf("objection %d channel %s %s attempt: %w", objectionID, channelID, action, err)
	}
	return db.GetObjectionChannel(ctx, objectionID, channelID, action)
}

// MarkObjectionChannelSent records that a manual channel's operator was given the action.
func (db *DB) MarkObjectionChannelSent(ctx context.Context, objectionID int64, channelID string, action domain.ObjectionAction) error {
	_, err := db.ExecContext(ctx, `UPDATE objection_channels SET sent_at = COALESCE(sent_at, now()), status = 'sent'
		WHERE objection_id = $1 AND channel_id = $2 AND action = $3 AND status = 'pending'`, objectionID, channelID, action)
	if err != nil {
		return fmt.Errorf("objection %d channel %s %s sent: %w", objectionID, channelID, action, err)
	}
	return nil
}

// RecordObjectionAttemptError keeps the last failure of a channel call, for the case page.
func (db *DB) RecordObjectionAttemptError(ctx context.Context, objectionID int64, channelID string, action domain.ObjectionAction, msg string) error {
	if len(msg) > 500 {
		msg = msg[:500]
	}
	_, err := db.ExecContext(ctx, `UPDATE objection_channels SET last_error = $4
		WHERE objection_id = $1 AND channel_id = $2 AND action = $3 AND status NOT IN ('confirmed', 'cancelled')`,
		objectionID, channelID, action, msg)
	if err != nil {
		return fmt.Errorf("objection %d channel %s %s error: %w", objectionID, channelID, action, err)
	}
	return nil
}

// ConfirmObjectionChannel records that a channel did what it was asked (the first confirmation stands) and applies
// it to the record's publication on that channel: marked, unmarked, or showing the record's current version. The
// audit entry is written once.
func (db *DB) ConfirmObjectionChannel(ctx context.Context, objectionID int64, channelID string, action domain.ObjectionAction, reference, by string) (ObjectionChannel, error) {
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE objection_channels SET status = 'confirmed', confirmed_at = now(),
				reference = $4, confirmed_by = $5, last_error = '', sent_at = COALESCE(sent_at, now())
			WHERE objection_id = $1 AND channel_id = $2 AND action = $3 AND status NOT IN ('confirmed', 'cancelled')`,
			objectionID, channelID, action, reference, by)
		if err != nil {
			return fmt.Errorf("confirm objection %d channel %s %s: %w", objectionID, channelID, action, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		var q string
		switch action {
		case domain.ObjectionMark:
			q = `UPDATE publications p SET marked_objection = true, marked_at = now(), mark_objection_id = o.id
				FROM objections o WHERE o.id = $1 AND p.penalty_id = o.penalty_id AND p.channel_id = $2`
		case domain.ObjectionUnmark:
			q = `UPDATE publications p SET marked_objection = false, marked_at = NULL, mark_objection_id = NULL
				FROM objections o WHERE o.id = $1 AND p.penalty_id = o.penalty_id AND p.channel_id = $2
				  AND (p.mark_objection_id IS NULL OR p.mark_objection_id = o.id)`
		case domain.ObjectionCorrect:
			q = `UPDATE publications p SET marked_objection = false, marked_at = NULL, mark_objection_id = NULL,
					record_version = pe.version, corrected_at = now()
				FROM objections o JOIN penalties pe ON pe.id = o.penalty_id
				WHERE o.id = $1 AND p.penalty_id = o.penalty_id AND p.channel_id = $2`
		default:
			return fmt.Errorf("objection %d: unknown channel action %q", objectionID, action)
		}
		if _, err := tx.ExecContext(ctx, q, objectionID, channelID); err != nil {
			return fmt.Errorf("apply objection %d %s on %s: %w", objectionID, action, channelID, err)
		}
		key := "objection-" + strconv.FormatInt(objectionID, 10) + "-" + string(action) + "-confirmed-" + channelID
		role := string(domain.RoleChannelOperator)
		if by == "webhook" || by == "system" {
			role = "system"
		}
		return AuditTx(ctx, tx, AuditEntry{Actor: by, Role: role, Action: "objection.channel_" + string(action) + "_confirmed",
			CaseKind: "objection", CaseID: strconv.FormatInt(objectionID, 10), DedupKey: &key},
			map[string]any{"channel_id": channelID, "action": action, "reference": reference})
	})
	if err != nil {
		return ObjectionChannel{}, err
	}
	return db.GetObjectionChannel(ctx, objectionID, channelID, action)
}

// MarkObjectionChannelOverdue flags a channel action not confirmed by its due date.
func (db *DB) MarkObjectionChannelOverdue(ctx context.Context, objectionID int64, channelID string, action domain.ObjectionAction) error {
	_, err := db.ExecContext(ctx, `UPDATE objection_channels SET status = 'overdue', overdue_at = COALESCE(overdue_at, now())
		WHERE objection_id = $1 AND channel_id = $2 AND action = $3 AND status IN ('pending', 'sent', 'failed')`,
		objectionID, channelID, action)
	if err != nil {
		return fmt.Errorf("objection %d channel %s %s overdue: %w", objectionID, channelID, action, err)
	}
	return nil
}

// CancelObjectionChannel cancels a channel action that is no longer needed (a mark not yet made when the case was
// answered); a confirmed one stays confirmed.
func (db *DB) CancelObjectionChannel(ctx context.Context, objectionID int64, channelID string, action domain.ObjectionAction) error {
	_, err := db.ExecContext(ctx, `UPDATE objection_channels SET status = 'cancelled'
		WHERE objection_id = $1 AND channel_id = $2 AND action = $3 AND status NOT IN ('confirmed', 'cancelled')`,
		objectionID, channelID, action)
	if err != nil {
		return fmt.Errorf("objection %d channel %s %s cancel: %w", objectionID, channelID, action, err)
	}
	return nil
}

// ClearObjectionMarks removes the case's marks from the record's publications without asking the channels (the
// record came down everywhere, so there is nothing left to unmark).
func (db *DB) ClearObjectionMarks(ctx context.Context, objectionID int64) error {
	_, err := db.ExecContext(ctx, `UPDATE publications SET marked_objection = false, marked_at = NULL, mark_objection_id = NULL
		WHERE mark_objection_id = $1`, objectionID)
	if err != nil {
		return fmt.Errorf("clear marks of objection %d: %w", objectionID, err)
	}
	return nil
}

// PublicationMark is a record's objection mark and version on one channel.
type PublicationMark struct {
	ChannelID       string       `db:"channel_id"`
	MarkedObjection bool         `db:"marked_objection"`
	MarkedAt        sql.NullTime `db:"marked_at"`
	MarkObjectionID int64        `db:"mark_objection_id"`
	RecordVersion   int          `db:"record_version"`
	CorrectedAt     sql.NullTime `db:"corrected_at"`
}

// PublicationMarksOf lists a record's objection marks and versions, channel by channel.
func (db *DB) PublicationMarksOf(ctx context.Context, penaltyID int64) ([]PublicationMark, error) {
	var ms []PublicationMark
	err := db.SelectContext(ctx, &ms, `SELECT channel_id, marked_objection, marked_at, COALESCE(mark_objection_id, 0) AS mark_objection_id,
			record_version, corrected_at
		FROM publications WHERE penalty_id = $1 ORDER BY channel_id`, penaltyID)
	if err != nil {
		return nil, fmt.Errorf("publication marks of %d: %w", penaltyID, err)
	}
	return ms, nil
}

// PenaltyVersion is a record's earlier version: the values a correction replaced.
type PenaltyVersion struct {
	PenaltyID      int64           `db:"penalty_id" json:"penalty_id"`
	Version        int             `db:"version" json:"version"`
	DecisionNo     string          `db:"decision_no" json:"decision_no"`
	EnterpriseName string          `db:"enterprise_name" json:"enterprise_name"`
	DecidedOn      domain.Date     `db:"decided_on" json:"decided_on"`
	PenaltyTypes   pq.StringArray  `db:"penalty_types" json:"penalty_types"`
	FineAmountYuan string          `db:"fine_amount_yuan" json:"fine_amount_yuan"`
	Facts          string          `db:"facts" json:"facts"`
	LegalBasis     string          `db:"legal_basis" json:"legal_basis"`
	Changes        json.RawMessage `db:"changes" json:"changes"`
	ObjectionID    int64           `db:"objection_id" json:"objection_id"`
	Reason         string          `db:"reason" json:"reason"`
	CorrectedBy    string          `db:"corrected_by" json:"corrected_by"`
	SupersededAt   time.Time       `db:"superseded_at" json:"superseded_at"`
}

// CorrectPenalty applies an objection's correction to a record once: the values it replaces are kept as the
// record's current version in penalty_versions, the record takes the new values and the next version, and the
// audit log says so. A second call for the same objection changes nothing and returns the same version. A decision
// number the department already uses is ErrConflict.
func (db *DB) CorrectPenalty(ctx context.Context, objectionID, penaltyID int64, c domain.PenaltyCorrection, reason, by string) (int, error) {
	var version int
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		var p Penalty
		if err := tx.GetContext(ctx, &p, `SELECT `+penaltyColumns+` FROM penalties WHERE id = $1 FOR UPDATE`, penaltyID); err != nil {
			return fmt.Errorf("correct penalty %d: %w", penaltyID, notFound(err))
		}
		var done int
		err := tx.GetContext(ctx, &done, `SELECT version FROM penalty_versions WHERE objection_id = $1`, objectionID)
		if err == nil {
			version = done + 1
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("correct penalty %d: %w", penaltyID, err)
		}
		var current int
		if err := tx.GetContext(ctx, &current, `SELECT version FROM penalties WHERE id = $1`, penaltyID); err != nil {
			return fmt.Errorf("correct penalty %d: %w", penaltyID, err)
		}
		next := Penalty{DecisionNo: p.DecisionNo, EnterpriseName: p.EnterpriseName, PenaltyTypes: p.PenaltyTypes,
			FineAmountYuan: p.FineAmountYuan, Facts: p.Facts, LegalBasis: p.LegalBasis}
		changes := map[string]map[string]any{}
		change := func(field string, from, to any) {
			changes[field] = map[string]any{"from": from, "to": to}
		}
		if c.DecisionNo != nil && *c.DecisionNo != p.DecisionNo {
			change("decision_no", p.DecisionNo, *c.DecisionNo)
			next.DecisionNo = *c.DecisionNo
		}
		if c.EnterpriseName != nil && *c.EnterpriseName != p.EnterpriseName {
			change("enterprise_name", p.EnterpriseName, *c.EnterpriseName)
			next.EnterpriseName = *c.EnterpriseName
		}
		if c.PenaltyTypes != nil && !sameStrings(c.PenaltyTypes, p.PenaltyTypes) {
			change("penalty_types", []string(p.PenaltyTypes), c.PenaltyTypes)
			next.PenaltyTypes = c.PenaltyTypes
		}
		if c.FineAmountYuan != nil && *c.FineAmountYuan != p.FineAmountYuan {
			change("fine_amount_yuan", p.FineAmountYuan, *c.FineAmountYuan)
			next.FineAmountYuan = *c.FineAmountYuan
		}
		if c.Facts != nil && *c.Facts != p.Facts {
			change("facts", p.Facts, *c.Facts)
			next.Facts = *c.Facts
		}
		if c.LegalBasis != nil && *c.LegalBasis != p.LegalBasis {
			change("legal_basis", p.LegalBasis, *c.LegalBasis)
			next.LegalBasis = *c.LegalBasis
		}
		raw, err := json.Marshal(changes)
		if err != nil {
			return fmt.Errorf("correct penalty %d: %w", penaltyID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO penalty_versions (penalty_id, version, decision_no, enterprise_name,
				decided_on, penalty_types, fine_amount_yuan, facts, legal_basis, changes, objection_id, reason, corrected_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			penaltyID, current, p.DecisionNo, p.EnterpriseName, p.DecidedOn, p.PenaltyTypes, p.FineAmountYuan, p.Facts,
			p.LegalBasis, string(raw), objectionID, reason, by); err != nil {
			return fmt.Errorf("keep version %d of penalty %d: %w", current, penaltyID, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE penalties SET decision_no = $2, enterprise_name = $3, penalty_types = $4,
				fine_amount_yuan = $5, facts = $6, legal_basis = $7, version = version + 1, updated_at = now()
			WHERE id = $1`, penaltyID, next.DecisionNo, next.EnterpriseName, next.PenaltyTypes, next.FineAmountYuan,
			next.Facts, next.LegalBasis)
		if IsUniqueViolation(err) {
			return fmt.Errorf("correct penalty %d: decision number %s: %w", penaltyID, next.DecisionNo, ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("correct penalty %d: %w", penaltyID, err)
		}
		version = current + 1
		key := fmt.Sprintf("penalty-%d:corrected-by-objection-%d", penaltyID, objectionID)
		return AuditTx(ctx, tx, AuditEntry{Actor: by, Role: string(domain.RoleDepartment), Action: "penalty.corrected", CaseKind: "penalty",
			CaseID: strconv.FormatInt(penaltyID, 10), DedupKey: &key},
			map[string]any{"objection_id": objectionID, "version": version, "changes": changes, "reason": reason})
	})
	return version, err
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// PenaltyVersions lists a record's earlier versions, oldest first.
func (db *DB) PenaltyVersions(ctx context.Context, penaltyID int64) ([]PenaltyVersion, error) {
	var vs []PenaltyVersion
	err := db.SelectContext(ctx, &vs, `SELECT penalty_id, version, decision_no, enterprise_name, decided_on, penalty_types,
			fine_amount_yuan, facts, legal_basis, changes, objection_id, reason, corrected_by, superseded_at
		FROM penalty_versions WHERE penalty_id = $1 ORDER BY version`, penaltyID)
	if err != nil {
		return nil, fmt.Errorf("versions of penalty %d: %w", penaltyID, err)
	}
	return vs, nil
}

// PenaltyVersion returns a record's current version number.
func (db *DB) PenaltyVersion(ctx context.Context, penaltyID int64) (int, error) {
	var v int
	if err := db.GetContext(ctx, &v, `SELECT version FROM penalties WHERE id = $1`, penaltyID); err != nil {
		return 0, fmt.Errorf("version of penalty %d: %w", penaltyID, notFound(err))
	}
	return v, nil
}

// ObjectionWithdrawal is how the withdrawal that follows a withdrawn objection stands.
type ObjectionWithdrawal = CaseWithdrawal

// WithdrawalAfterObjection reports the withdrawal of a record an objection had withdrawn (see WithdrawalForCase).
func (db *DB) WithdrawalAfterObjection(ctx context.Context, penaltyID, objectionID int64) (ObjectionWithdrawal, error) {
	return db.WithdrawalForCase(ctx, penaltyID, "objection-"+strconv.FormatInt(objectionID, 10))
}

// ObjectionStats are the credit office's numbers: open cases and overdue ones.
type ObjectionStats struct {
	Open    int `db:"open" json:"open"`
	Overdue int `db:"overdue" json:"overdue"`
	Closed  int `db:"closed" json:"closed"`
}

// ObjectionStatistics counts the cases of a department ("" for all) or an enterprise (uscc).
func (db *DB) ObjectionStatistics(ctx context.Context, departmentID, uscc string) (ObjectionStats, error) {
	var st ObjectionStats
	err := db.GetContext(ctx, &st, `SELECT count(*) FILTER (WHERE o.status <> 'closed') AS open,
			count(*) FILTER (WHERE o.status <> 'closed' AND o.overdue) AS overdue,
			count(*) FILTER (WHERE o.status = 'closed') AS closed
		FROM objections o WHERE ($1 = '' OR o.department_id = $1) AND ($2::bpchar = '' OR o.uscc = $2::bpchar)`, departmentID, uscc)
	if err != nil {
		return st, fmt.Errorf("objection statistics: %w", err)
	}
	return st, nil
}
