package letters

import "time"

// Letters of the procedures that are not about a penalty alone (issue 14): the fraud record, the listings and
// the bankruptcy shield. They share one data type; each kind has its own text.
const (
	KindFraudRecord       Kind = "fraud_record"        // 弄虚作假失信记录公示告知书
	KindSeriousListNotice Kind = "serious_list_notice" // 列入严重失信主体名单 信用修复告知书
	KindListingRemoved    Kind = "listing_removed"     // 移出名单决定书
	KindListingRefused    Kind = "listing_refused"     // 不予移出名单决定书
	KindShieldDecision    Kind = "bankruptcy_shield"   // 暂时屏蔽失信信息决定书
	KindShieldRestored    Kind = "bankruptcy_restored" // 恢复公示失信信息决定书
)

// RecordNoticeData is the content of the letters of records and listings.
type RecordNoticeData struct {
	Issue
	EnterpriseName string
	USCC           string
	// RecordTitle names the record (经营异常名录, 严重失信主体名单, 弄虚作假失信记录); RecordNo its number.
	RecordTitle string
	RecordNo    string
	// DecisionNo is the decision the record rests on (the penalty), RelatedNo a related decision (the repair
	// refusal that found a fraud, the court's ruling of a shield).
	DecisionNo string
	RelatedNo  string
	Cause      string // why: the fraud found, the cause of a listing, the court's ruling
	Reason     string // the decision's reasons
	// Records lists the records a shield or a restoration covers.
	Records  []string
	Channels []string
	// From and Until bound a publication or a shield; EligibleFrom is the first day a removal may be asked;
	// BannedUntil the last day of a ban on applying.
	From         time.Time
	Until        time.Time
	EligibleFrom time.Time
	BannedUntil  time.Time
	Contact      string
	// ReconsiderationBody is printed in the remedy sentence when set.
	ReconsiderationBody string
}

// RecordNotice builds a letter of kind k about a record.
func RecordNotice(k Kind, d RecordNoticeData) Letter { return mustBuild(k, d) }
