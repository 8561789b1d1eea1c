package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lib/pq"
)

// Department is a recognizing department (认定部门).
type Department struct {
	ID           string `db:"id" json:"id"`
	Name         string `db:"name" json:"name"`
	Jurisdiction string `db:"jurisdiction" json:"jurisdiction"`
	Sector       string `db:"sector" json:"sector"`
	Contact      string `db:"contact" json:"contact"`
	// FullName is the name letters print, with the city (镇江市市场监督管理局); ShortName the one tables show;
	// DocCode the 机关代字 that opens the department's 文号 (镇市监).
	FullName  string `db:"full_name" json:"full_name"`
	ShortName string `db:"short_name" json:"short_name"`
	DocCode   string `db:"doc_code" json:"doc_code"`
}

const departmentColumns = `id, name, jurisdiction, sector, contact, full_name, short_name, doc_code`

// Enterprise is a credit subject identified by its USCC.
type Enterprise struct {
	USCC                string `db:"uscc" json:"uscc"`
	Name                string `db:"name" json:"name"`
	LegalRepresentative string `db:"legal_representative" json:"legal_representative"`
	Address             string `db:"address" json:"address"`
}

// UpsertDepartment creates or updates a department.
func (db *DB) UpsertDepartment(ctx context.Context, d Department) error {
	_, err := db.NamedExecContext(ctx, `INSERT INTO departments (id, name, jurisdiction, sector, contact, full_name, short_name, doc_code)
		VALUES (:id, :name, :jurisdiction, :sector, :contact, :full_name, :short_name, :doc_code)
		ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, jurisdiction = EXCLUDED.jurisdiction,
			sector = EXCLUDED.sector, contact = EXCLUDED.contact, full_name = EXCLUDED.full_name,
			short_name = EXCLUDED.short_name, doc_code = EXCLUDED.doc_code`, d)
	if err != nil {
		return fmt.Errorf("upsert department %s: %w", d.ID, err)
	}
	return nil
}

// GetDepartment returns a department.
func (db *DB) GetDepartment(ctx context.Context, id string) (Department, error) {
	var d Department
	if err := db.GetContext(ctx, &d, `SELECT `+departmentColumns+` FROM departments WHERE id = $1`, id); err != nil {
		return Department{}, fmt.Errorf("department %s: %w", id, notFound(err))
	}
	return d, nil
}

// ListDepartments returns every department by name.
func (db *DB) ListDepartments(ctx context.Context) ([]Department, error) {
	var ds []Department
	if err := db.SelectContext(ctx, &ds, `SELECT `+departmentColumns+` FROM departments ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	return ds, nil
}

// DepartmentNames returns the names of the given departments, by id; none asked, no round trip. A list of records
// names the departments of its rows; reading every department with all its details for that was a tenth of a home
// page's processor time (issue 17).
func (db *DB) DepartmentNames(ctx context.Context, ids []string) (map[string]string, error) {
	names := map[string]string{}
	if len(ids) == 0 {
		return names, nil
	}
	slices.Sort(ids)
	var ds []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	if err := db.SelectContext(ctx, &ds, `SELECT id, name FROM departments WHERE id = ANY($1)`, pq.StringArray(slices.Compact(ids))); err != nil {
		return nil, fmt.Errorf("department names: %w", err)
	}
	for _, d := range ds {
		names[d.ID] = d.Name
	}
	return names, nil
}

// UpsertEnterprise creates an enterprise or refreshes its name and details (a later registration knows better).
func (db *DB) UpsertEnterprise(ctx context.Context, e Enterprise) error {
	_, err := db.NamedExecContext(ctx, `INSERT INTO enterprises (uscc, name, legal_representative, address)
		VALUES (:uscc, :name, :legal_representative, :address)
		ON CONFLICT (uscc) DO UPDATE SET name = EXCLUDED.name,
			legal_representative = COALESCE(NULLIF(EXCLUDED.legal_representative, ''), enterprises.legal_representative),
			address = COALESCE(NULLIF(EXCLUDED.address, ''), enterprises.address)`, e)
	if err != nil {
		return fmt.Errorf("upsert enterprise %s: %w", e.USCC, err)
	}
	return nil
}

// GetEnterprise returns an enterprise.
func (db *DB) GetEnterprise(ctx context.Context, uscc string) (Enterprise, error) {
	var e Enterprise
	err := db.GetContext(ctx, &e, `SELECT uscc, name, legal_representative, address FROM enterprises WHERE uscc = $1`, uscc)
	if err != nil {
		return Enterprise{}, fmt.Errorf("enterprise %s: %w", uscc, notFound(err))
	}
	return e, nil
}

// SearchEnterprises finds enterprises whose name or code contains q, paginated by code.
func (db *DB) SearchEnterprises(ctx context.Context, q, after string, limit int) ([]Enterprise, error) {
	var es []Enterprise
	pattern := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q) + "%"
	err := db.SelectContext(ctx, &es, `SELECT uscc, name, legal_representative, address FROM enterprises
		WHERE (name ILIKE $1 OR uscc ILIKE $1) AND uscc > $2 ORDER BY uscc LIMIT $3`, pattern, after, limit)
	if err != nil {
		return nil, fmt.Errorf("search enterprises: %w", err)
	}
	return es, nil
}
