package storage

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// PenaltyNational holds the data items of the national 双公示 行政处罚 standard that no other column of a penalty
// holds (migration 00048): kept as the department gave them and exported again in the national format. The
// standard's 公示截止期 is computed (Penalty.PublicationEnds) and its 处罚机关 is the department, so neither is here.
type PenaltyNational struct {
	// LegalRepresentative is 法定代表人.
	LegalRepresentative string `json:"legal_representative,omitempty"`
	// Content is 处罚内容.
	Content string `json:"content,omitempty"`
	// ConfiscationYuan is 没收违法所得、没收非法财物的金额, in yuan with two decimals ("" when none).
	ConfiscationYuan string `json:"confiscation_amount_yuan,omitempty"`
	// License is 暂扣或吊销证照名称及编号.
	License string `json:"license,omitempty"`
	// ValidUntil is 处罚有效期 as given (a date YYYY-MM-DD when it reads as one).
	ValidUntil string `json:"valid_until,omitempty"`
	// AuthorityUSCC is 处罚机关统一社会信用代码.
	AuthorityUSCC string `json:"authority_uscc,omitempty"`
	// SourceUnit and SourceUnitUSCC are 数据来源单位 and its 统一社会信用代码.
	SourceUnit     string `json:"source_unit,omitempty"`
	SourceUnitUSCC string `json:"source_unit_uscc,omitempty"`
	// Remarks is 备注.
	Remarks string `json:"remarks,omitempty"`
}

// IsZero reports whether no item is given.
func (n PenaltyNational) IsZero() bool { return n == PenaltyNational{} }

// Value stores the items as a JSON object.
func (n PenaltyNational) Value() (driver.Value, error) {
	b, err := json.Marshal(n)
	return string(b), err
}

// Scan reads the JSON object back.
func (n *PenaltyNational) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*n = PenaltyNational{}
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("penalty national items: unexpected %T", src)
	}
	*n = PenaltyNational{}
	if string(b) == "{}" { // most records have none: no decoder for nothing (a list reads fifty of them, issue 17)
		return nil
	}
	return json.Unmarshal(b, n)
}

// putPenaltyNational stores the national items of new penalties (skipping those without any).
func putPenaltyNational(ctx context.Context, tx sqlx.ExtContext, ids []int64, items []PenaltyNational) error {
	var keep []int64
	var raw []string
	for i, n := range items {
		if n.IsZero() {
			continue
		}
		b, err := json.Marshal(n)
		if err != nil {
			return err
		}
		keep, raw = append(keep, ids[i]), append(raw, string(b))
	}
	if len(keep) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE penalties p SET national = t.n::jsonb
		FROM unnest($1::bigint[], $2::text[]) AS t(id, n) WHERE p.id = t.id`, pq.Int64Array(keep), pq.StringArray(raw))
	if err != nil {
		return fmt.Errorf("store penalty national items: %w", err)
	}
	return nil
}
