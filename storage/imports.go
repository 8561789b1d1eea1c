package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"xinyong/domain"
)

// PenaltyImport is one CSV import of penalties and how far the start of its lifecycles has got.
type PenaltyImport struct {
	ID                int64               `db:"id" json:"id"`
	DepartmentID      string              `db:"department_id" json:"department_id"`
	CreatedBy         string              `db:"created_by" json:"created_by"`
	Filename          string              `db:"filename" json:"filename"`
	SHA256            string              `db:"sha256" json:"sha256"`
	TotalRows         int                 `db:"total_rows" json:"total_rows"`
	Registered        int                 `db:"registered" json:"registered"`
	AlreadyRegistered int                 `db:"already_registered" json:"already_registered"`
	Rejected          int                 `db:"rejected" json:"rejected"`
	ToStart           int                 `db:"to_start" json:"to_start"`
	Started           int                 `db:"started" json:"started"`
	Status            domain.ImportStatus `db:"status" json:"status"`
	// Failure says, in Chinese, why an import is failed: how its job ended (empty unless failed).
	Failure     string       `db:"failure" json:"failure,omitempty"`
	CreatedAt   time.Time    `db:"created_at" json:"created_at"`
	CompletedAt sql.NullTime `db:"completed_at" json:"-"`
	FailedAt    sql.NullTime `db:"failed_at" json:"-"`
}

// StatusLabel is the Chinese name of the import's status.
func (imp PenaltyImport) StatusLabel() string { return imp.Status.Label() }

const importColumns = `id, department_id, created_by, filename, sha256, total_rows, registered, already_registered,
	rejected, to_start, started, status, failure, created_at, completed_at, failed_at`

// The outcomes of an import row.
const (
	ImportRowRegistered        = "registered"
	ImportRowAlreadyRegistered = "already_registered"
	ImportRowRejected          = "rejected"
)

// ImportRow is the outcome of one CSV row; Row is the CSV record number (the header is row 1).
type ImportRow struct {
	Row        int           `db:"row_no"`
	DecisionNo string        `db:"decision_no"`
	Status     string        `db:"status"`
	PenaltyID  sql.NullInt64 `db:"penalty_id"`
	Code       string        `db:"code"`
	Field      string        `db:"field"`
	Message    string        `db:"message"`
	NeedsStart bool          `db:"needs_start"`
}

// NewImport is a validated file: the rows that were rejected and the penalties of the good ones (with their
// ImportRow set), ready to store.
type NewImport struct {
	DepartmentID string
	CreatedBy    string
	Filename     string
	SHA256       string
	TotalRows    int
	Rejected     []ImportRow
	Penalties    []Penalty
	Enterprises  []Enterprise
	// Content is the uploaded file, kept for the result file (nil keeps nothing).
	Content []byte
}

// CreateImport stores an import in one transaction: its enterprises, its new penalties (a decision number the
// department registered before is reported as already registered and left as it was) and the outcome of every
// row. It returns the import and its rows in row order.
func (db *DB) CreateImport(ctx context.Context, in NewImport) (PenaltyImport, []ImportRow, error) {
	var imp PenaltyImport
	var rows []ImportRow
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &imp.ID, `INSERT INTO penalty_imports (department_id, created_by, filename, sha256,
				total_rows, registered, already_registered, rejected, to_start)
			VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0) RETURNING id`,
			in.DepartmentID, in.CreatedBy, in.Filename, in.SHA256, in.TotalRows)
		if err != nil {
			return fmt.Errorf("insert import: %w", err)
		}
		if in.Content != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO penalty_import_files (import_id, content) VALUES ($1, $2)`,
				imp.ID, in.Content); err != nil {
				return fmt.Errorf("insert import file: %w", err)
			}
		}
		if err := upsertEnterprises(ctx, tx, in.Enterprises); err != nil {
			return err
		}
		inserted, err := insertPenalties(ctx, tx, imp.ID, in.Penalties)
		if err != nil {
			return err
		}
		rows = append(rows, in.Rejected...)
		var already []string
		for _, p := range in.Penalties {
			r := ImportRow{Row: int(p.ImportRow.Int32), DecisionNo: p.DecisionNo}
			if id, ok := inserted[p.DecisionNo]; ok {
				r.Status, r.PenaltyID, r.NeedsStart = ImportRowRegistered, sql.NullInt64{Int64: id, Valid: true}, true
			} else {
				r.Status = ImportRowAlreadyRegistered
				already = append(already, p.DecisionNo)
			}
			rows = append(rows, r)
		}
		// An earlier registration of the same number: point at it, and start it if its lifecycle never was
		// (a crash between storing and starting must not leave a record without its workflow).
		if len(already) > 0 {
			var prev []struct {
				ID         int64  `db:"id"`
				DecisionNo string `db:"decision_no"`
				Started    bool   `db:"started"`
			}
			err := tx.SelectContext(ctx, &prev, `SELECT id, decision_no, lifecycle_started_at IS NOT NULL AS started
				FROM penalties WHERE department_id = $1 AND decision_no = ANY($2)`, in.DepartmentID, pq.StringArray(already))
			if err != nil {
				return fmt.Errorf("earlier registrations: %w", err)
			}
			byNo := map[string]int{}
			for i, p := range prev {
				byNo[p.DecisionNo] = i
			}
			for i := range rows {
				if rows[i].Status != ImportRowAlreadyRegistered {
					continue
				}
				if j, ok := byNo[rows[i].DecisionNo]; ok {
					rows[i].PenaltyID = sql.NullInt64{Int64: prev[j].ID, Valid: true}
					rows[i].NeedsStart = !prev[j].Started
				}
			}
		}
		sortImportRows(rows)
		if err := insertImportRows(ctx, tx, imp.ID, rows); err != nil {
			return err
		}
		return tx.GetContext(ctx, &imp, `UPDATE penalty_imports SET
				registered = (SELECT count(*) FROM penalty_import_rows WHERE import_id = $1 AND status = 'registered'),
				already_registered = (SELECT count(*) FROM penalty_import_rows WHERE import_id = $1 AND status = 'already_registered'),
				rejected = (SELECT count(*) FROM penalty_import_rows WHERE import_id = $1 AND status = 'rejected'),
				to_start = (SELECT count(*) FROM penalty_import_rows WHERE import_id = $1 AND needs_start),
				status = CASE WHEN EXISTS (SELECT 1 FROM penalty_import_rows WHERE import_id = $1 AND needs_start)
					THEN 'starting' ELSE 'completed' END,
				completed_at = CASE WHEN EXISTS (SELECT 1 FROM penalty_import_rows WHERE import_id = $1 AND needs_start)
					THEN NULL ELSE now() END
			WHERE id = $1 RETURNING `+importColumns, imp.ID)
	})
	if err != nil {
		return PenaltyImport{}, nil, fmt.Errorf("create import: %w", err)
	}
	return imp, rows, nil
}

func sortImportRows(rows []ImportRow) {
	slices.SortStableFunc(rows, func(a, b ImportRow) int { return cmp.Compare(a.Row, b.Row) })
}

// upsertEnterprises creates the unknown enterprises of a file in one statement; known ones keep the registry's name.
func upsertEnterprises(ctx context.Context, tx *sqlx.Tx, es []Enterprise) error {
	if len(es) == 0 {
		return nil
	}
	usccs, names := make([]string, len(es)), make([]string, len(es))
	for i, e := range es {
		usccs[i], names[i] = e.USCC, e.Name
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO enterprises (uscc, name)
		SELECT * FROM unnest($1::text[], $2::text[])
		ON CONFLICT (uscc) DO NOTHING`, pq.StringArray(usccs), pq.StringArray(names))
	if err != nil {
		return fmt.Errorf("upsert enterprises: %w", err)
	}
	return nil
}

// insertPenalties stores many penalties in one statement; it returns the ids of those inserted by decision number
// (the others were registered before).
func insertPenalties(ctx context.Context, tx *sqlx.Tx, importID int64, ps []Penalty) (map[string]int64, error) {
	out := map[string]int64{}
	if len(ps) == 0 {
		return out, nil
	}
	n := len(ps)
	var (
		dept, no, uscc, name, types, fine, class, facts, basis, rs, created = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n)
		decided, due, eligible, ends, delivery = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		given, published                       = make([]bool, n), make([]bool, n)
		duration, row                          = make([]int64, n), make([]int64, n)
	)
	for i, p := range ps {
		dept[i], no[i], uscc[i], name[i] = p.DepartmentID, p.DecisionNo, p.USCC, p.EnterpriseName
		types[i], fine[i], class[i], facts[i], basis[i] = strings.Join(p.PenaltyTypes, ","), p.FineAmountYuan, p.Class, p.Facts, p.LegalBasis
		rs[i], created[i] = p.RuleSet, p.CreatedBy
		decided[i], due[i], eligible[i], ends[i], delivery[i] = p.DecidedOn.String(), p.PublishDue.String(),
			p.RepairEligibleFrom.String(), p.PublicationEnds.String(), p.DeliveryDue.String()
		given[i], published[i] = p.ClassGiven, p.Published
		duration[i], row[i] = int64(p.DurationMonths), int64(p.ImportRow.Int32)
	}
	var got []struct {
		ID         int64  `db:"id"`
		DecisionNo string `db:"decision_no"`
	}
	err := tx.SelectContext(ctx, &got, `INSERT INTO penalties (department_id, decision_no, uscc, enterprise_name, decided_on,
			penalty_types, fine_amount_yuan, class, class_given, duration_months, facts, legal_basis, rule_set, published,
			publish_due, repair_eligible_from, publication_ends, delivery_due, status, import_id, import_row, created_by)
		SELECT d, no, u, nm, dec::date, string_to_array(ty, ','), fi::numeric, cl, gi, du, fa, ba, rs, pu,
			pd::date, el::date, en::date, dd::date, 'registered', $19, ro, cr
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
			$9::boolean[], $10::int[], $11::text[], $12::text[], $13::text[], $14::boolean[], $15::text[], $16::text[],
			$17::text[], $18::text[], $20::int[], $21::text[])
			AS t(d, no, u, nm, dec, ty, fi, cl, gi, du, fa, ba, rs, pu, pd, el, en, dd, ro, cr)
		ON CONFLICT (department_id, decision_no) DO NOTHING
		RETURNING id, decision_no`,
		pq.StringArray(dept), pq.StringArray(no), pq.StringArray(uscc), pq.StringArray(name), pq.StringArray(decided),
		pq.StringArray(types), pq.StringArray(fine), pq.StringArray(class), pq.BoolArray(given), pq.Int64Array(duration),
		pq.StringArray(facts), pq.StringArray(basis), pq.StringArray(rs), pq.BoolArray(published), pq.StringArray(due),
		pq.StringArray(eligible), pq.StringArray(ends), pq.StringArray(delivery), importID, pq.Int64Array(row),
		pq.StringArray(created))
	if err != nil {
		return nil, fmt.Errorf("insert penalties: %w", err)
	}
	for _, g := range got {
		out[g.DecisionNo] = g.ID
	}
	if err := putImportedPenaltyLaw(ctx, tx, out, ps); err != nil {
		return nil, err
	}
	return out, nil
}

func insertImportRows(ctx context.Context, tx *sqlx.Tx, importID int64, rows []ImportRow) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	rowNo, pid := make([]int64, n), make([]sql.NullInt64, n)
	no, status, code, field, msg := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	needs := make([]bool, n)
	for i, r := range rows {
		rowNo[i], pid[i], needs[i] = int64(r.Row), r.PenaltyID, r.NeedsStart
		no[i], status[i], code[i], field[i], msg[i] = r.DecisionNo, r.Status, r.Code, r.Field, r.Message
	}
	// lib/pq has no array of nullable integers; 0 stands for "none" and is turned back into NULL.
	ids := make([]int64, n)
	for i, p := range pid {
		if p.Valid {
			ids[i] = p.Int64
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO penalty_import_rows (import_id, row_no, decision_no, status, penalty_id,
			code, field, message, needs_start)
		SELECT $1, r, no, st, NULLIF(pid, 0), co, fi, me, ns
		FROM unnest($2::int[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::boolean[])
			AS t(r, no, st, pid, co, fi, me, ns)`,
		importID, pq.Int64Array(rowNo), pq.StringArray(no), pq.StringArray(status), pq.Int64Array(ids),
		pq.StringArray(code), pq.StringArray(field), pq.StringArray(msg), pq.BoolArray(needs))
	if err != nil {
		return fmt.Errorf("insert import rows: %w", err)
	}
	return nil
}

// GetImport returns an import.
func (db *DB) GetImport(ctx context.Context, id int64) (PenaltyImport, error) {
	var imp PenaltyImport
	if err := db.GetContext(ctx, &imp, `SELECT `+importColumns+` FROM penalty_imports WHERE id = $1`, id); err != nil {
		return PenaltyImport{}, fmt.Errorf("import %d: %w", id, notFound(err))
	}
	return imp, nil
}

// ListImports lists a department's imports, the newest first ("" for every department).
func (db *DB) ListImports(ctx context.Context, departmentID string, limit int) ([]PenaltyImport, error) {
	var imps []PenaltyImport
	err := db.SelectContext(ctx, &imps, `SELECT `+importColumns+` FROM penalty_imports
		WHERE ($1 = '' OR department_id = $1) ORDER BY id DESC LIMIT $2`, departmentID, limit)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	return imps, nil
}

// ImportRows returns an import's rows in row order; problemsOnly leaves out the registered ones.
func (db *DB) ImportRows(ctx context.Context, importID int64, problemsOnly bool) ([]ImportRow, error) {
	var rows []ImportRow
	err := db.SelectContext(ctx, &rows, `SELECT row_no, decision_no, status, penalty_id, code, field, message, needs_start
		FROM penalty_import_rows WHERE import_id = $1 AND (NOT $2 OR status <> 'registered') ORDER BY row_no`,
		importID, problemsOnly)
	if err != nil {
		return nil, fmt.Errorf("import %d rows: %w", importID, err)
	}
	return rows, nil
}

// ImportStart is a penalty whose lifecycle an import has to start.
type ImportStart struct {
	Row       int   `db:"row_no"`
	PenaltyID int64 `db:"penalty_id"`
	Started   bool  `db:"started"`
}

// ImportBatch returns the next rows after afterRow whose lifecycle the import has to start, with whether it has
// been started meanwhile.
func (db *DB) ImportBatch(ctx context.Context, importID int64, afterRow, limit int) ([]ImportStart, error) {
	var out []ImportStart
	err := db.SelectContext(ctx, &out, `SELECT r.row_no, r.penalty_id, p.lifecycle_started_at IS NOT NULL AS started
		FROM penalty_import_rows r JOIN penalties p ON p.id = r.penalty_id
		WHERE r.import_id = $1 AND r.needs_start AND r.row_no > $2 ORDER BY r.row_no LIMIT $3`, importID, afterRow, limit)
	if err != nil {
		return nil, fmt.Errorf("import %d batch: %w", importID, err)
	}
	return out, nil
}

// ImportLifecyclesIssuing counts the lifecycles of an import's rows in (fromRow, toRow] that are started but have
// not issued their letters yet (the record is still registered).
func (db *DB) ImportLifecyclesIssuing(ctx context.Context, importID int64, fromRow, toRow int) (int, error) {
	var n int
	err := db.GetContext(ctx, &n, `SELECT count(*) FROM penalty_import_rows r JOIN penalties p ON p.id = r.penalty_id
		WHERE r.import_id = $1 AND r.row_no > $2 AND r.row_no <= $3 AND r.needs_start
		  AND p.lifecycle_started_at IS NOT NULL AND p.status = 'registered'`, importID, fromRow, toRow)
	if err != nil {
		return 0, fmt.Errorf("import %d lifecycles issuing: %w", importID, err)
	}
	return n, nil
}

// RecountImport refreshes how many of an import's lifecycles are started; complete marks the import done. Only
// a running job recounts, so a failed import it recounts was started again by an operator: it is starting again.
func (db *DB) RecountImport(ctx context.Context, importID int64, complete bool) (PenaltyImport, error) {
	var imp PenaltyImport
	err := db.GetContext(ctx, &imp, `UPDATE penalty_imports SET
			started = (SELECT count(*) FROM penalty_import_rows r JOIN penalties p ON p.id = r.penalty_id
				WHERE r.import_id = $1 AND r.needs_start AND p.lifecycle_started_at IS NOT NULL),
			status = CASE WHEN $2 THEN 'completed' WHEN status = 'failed' THEN 'starting' ELSE status END,
			completed_at = CASE WHEN $2 THEN COALESCE(completed_at, now()) ELSE completed_at END,
			failure = '', failed_at = NULL
		WHERE id = $1 RETURNING `+importColumns, importID, complete)
	if err != nil {
		return PenaltyImport{}, fmt.Errorf("recount import %d: %w", importID, notFound(err))
	}
	return imp, nil
}

// FailImport marks an import still starting failed, with the reason and the audit entry (its DedupKey makes a
// repeated call a no-op), in one transaction. It reports false, changing nothing, when the import is not starting
// (completed meanwhile, or already failed).
func (db *DB) FailImport(ctx context.Context, importID int64, failure string, e AuditEntry, details any) (PenaltyImport, bool, error) {
	var imp PenaltyImport
	changed := false
	err := db.InTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &imp, `UPDATE penalty_imports SET status = 'failed', failure = $2, failed_at = now()
			WHERE id = $1 AND status = 'starting' RETURNING `+importColumns, importID, failure)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		changed = true
		return AuditTx(ctx, tx, e, details)
	})
	if err != nil {
		return PenaltyImport{}, false, fmt.Errorf("fail import %d: %w", importID, err)
	}
	if !changed {
		imp, err = db.GetImport(ctx, importID)
	}
	return imp, changed, err
}

// ImportFile returns the file an import was made from, or ErrNotFound for imports made before files were kept.
func (db *DB) ImportFile(ctx context.Context, importID int64) ([]byte, error) {
	var content []byte
	if err := db.GetContext(ctx, &content, `SELECT content FROM penalty_import_files WHERE import_id = $1`, importID); err != nil {
		return nil, fmt.Errorf("import %d file: %w", importID, notFound(err))
	}
	return content, nil
}
