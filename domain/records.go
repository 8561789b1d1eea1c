package domain

// Kinds of records (issue 14): administrative penalties, and records of other procedures that are published and
// withdrawn like them (rows of the same table, record_kind).
const (
	RecordKindPenalty      = "penalty"
	RecordKindFraud        = "fraud_record"  // 弄虚作假失信记录: published three years, never repaired early
	RecordKindAbnormalList = "abnormal_list" // 经营异常名录
	RecordKindSeriousList  = "serious_list"  // 严重失信主体名单
)

// RecordKindLabel is the Chinese name of a record kind.
func RecordKindLabel(kind string) string {
	switch kind {
	case RecordKindFraud:
		return "弄虚作假失信记录"
	case RecordKindAbnormalList:
		return "经营异常名录"
	case RecordKindSeriousList:
		return "严重失信主体名单"
	}
	return "行政处罚"
}

// Statuses of a bankruptcy shielding case (破产重整/和解).
const (
	ShieldPending  = "pending"
	ShieldShielded = "shielded"
	ShieldRefused  = "refused"
	ShieldRestored = "restored"
)
