package domain

import "fmt"

// Repair eligibility (信用修复的申请条件): whether a published record may be repaired on a day, why not, from
// when, and which conditions of the procedure's rule set the case will wait for. JudgeRepairEligibility is pure:
// the caller gathers the facts (storage.DB.RepairEligibilityFacts) and the same judgement serves the enterprise's
// self-check, the application and the repair workflow's re-check when it starts.

// FraudBanFact is a repair of the record revoked for fraud: no new repair until the ban is over.
type FraudBanFact struct {
	Reason      string `json:"reason"`
	RevokedOn   Date   `json:"revoked_on"`
	BannedUntil Date   `json:"banned_until"`
}

// NewerPenaltyFact is a later penalty of the same type against the same enterprise.
type NewerPenaltyFact struct {
	ID         int64  `json:"id"`
	DecisionNo string `json:"decision_no"`
	DecidedOn  Date   `json:"decided_on"`
}

// RepairEligibilityFacts are everything the eligibility rules look at, as plain values.
type RepairEligibilityFacts struct {
	// Today is the day judged (Asia/Shanghai).
	Today Date `json:"today"`
	// The record.
	PenaltyID    int64         `json:"penalty_id"`
	RecordStatus PenaltyStatus `json:"record_status"`
	// RecordKind is "" or penalty for an administrative penalty, else the kind of record (storage.Record*).
	RecordKind string `json:"record_kind,omitempty"`
	// RecordWithdrawn: the record is being or has been withdrawn, or its decision was revoked.
	RecordWithdrawn    bool  `json:"record_withdrawn"`
	Published          bool  `json:"published"`
	PublicationEnds    Date  `json:"publication_ends"`
	RepairEligibleFrom Date  `json:"repair_eligible_from"`
	Class              Class `json:"class"`
	// RecordRuleSet is the record's own rule set, resolved; Penalty the decision as it judges it.
	RecordRuleSet RuleSet      `json:"record_rule_set"`
	Penalty       PenaltyInput `json:"penalty"`
	// OpenRepairID is another repair case still open for the record (0: none).
	OpenRepairID int64 `json:"open_repair_id"`
	// FraudBan is an active ban (nil: none); NewerSamePenalty a later penalty of the same type (nil: none; only
	// gathered when the record's rule set requires none).
	FraudBan         *FraudBanFact     `json:"fraud_ban,omitempty"`
	NewerSamePenalty *NewerPenaltyFact `json:"newer_same_penalty,omitempty"`
	// NewerHeavierPenalty is a 较重 (general or serious) penalty decided after a serious listing (nil: none; only
	// gathered for a serious listing).
	NewerHeavierPenalty *NewerPenaltyFact `json:"newer_heavier_penalty,omitempty"`
	// ProcedureRuleSet is the rule set in force today for the department (ProcedureRuleSet selects it), which the
	// case follows; TrainingCertificateID the enterprise's certificate (0: none).
	ProcedureRuleSet      RuleSet `json:"procedure_rule_set"`
	TrainingCertificateID int64   `json:"training_certificate_id"`
}

// EligibilityCheck is one rule and whether the record meets it.
type EligibilityCheck struct {
	Rule    string `json:"rule"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
	Date    *Date  `json:"date,omitempty"`
}

// eligibilityRuleLabels name the eligibility rules for people.
var eligibilityRuleLabels = map[string]string{
	"record_public":          "信息正在公示",
	"repairable":             "属于可修复的失信信息",
	"no_open_case":           "没有正在办理的修复申请",
	"min_publish_period":     "已满最短公示期",
	"fraud_ban":              "不在因失信撤销修复后的禁止申请期内",
	"no_new_heavier_penalty": "此后未受更重的行政处罚",
	"no_new_same_penalty":    "此后未因同一类型违法行为再受处罚",
}

// RuleLabel is the rule's Chinese name (the pages never show its code).
func (c EligibilityCheck) RuleLabel() string {
	if l, ok := eligibilityRuleLabels[c.Rule]; ok {
		return l
	}
	return "其他条件"
}

// RepairRequirement is a condition of the procedure's rule set that a case waits for rather than refuses.
type RepairRequirement struct {
	Required  bool
	Satisfied bool
	// LetterID is the training certificate that satisfies it (0: none).
	LetterID int64
	Message  string
}

// RepairRefusal is why an application is refused now: a machine-readable code, a Chinese message and details.
// Conflict marks a refusal due to the record's or another case's state (HTTP 409) rather than to the application
// (422).
type RepairRefusal struct {
	Code     string
	Message  string
	Conflict bool
	Details  map[string]any
}

func (r *RepairRefusal) Error() string { return r.Message }

// ErrorCode is the machine-readable code.
func (r *RepairRefusal) ErrorCode() string { return r.Code }

// RepairVerdict is the answer to "can this record be repaired today, and from when?".
type RepairVerdict struct {
	Eligible     bool
	EligibleFrom Date
	// RuleSet is the id of the procedure's rule set, recorded on the case.
	RuleSet      string
	Checks       []EligibilityCheck
	Training     RepairRequirement
	CreditReport RepairRequirement
	// Missing lists, in words, what the enterprise still has to do or provide.
	Missing      []string
	OpenRepairID int64
	// Refusal is the first rule that refuses an application now (nil when eligible).
	Refusal *RepairRefusal
}

// ProcedureRuleSet is the rule set a repair or objection procedure follows: the one in force on the day of the
// application for the deciding department's jurisdiction and sector (see SelectRuleSet).
func ProcedureRuleSet(sets []RuleSet, jurisdiction, sector string, applied Date) (RuleSet, error) {
	return SelectRuleSet(sets, jurisdiction, sector, applied)
}

// JudgeRepairEligibility applies the rules to the facts. The checks come in a fixed order; the refusal is the
// first failing rule's. An error means the facts are inconsistent (the record's rule set cannot judge it).
func JudgeRepairEligibility(f RepairEligibilityFacts) (RepairVerdict, error) {
	v := RepairVerdict{Checks: []EligibilityCheck{}, Missing: []string{}, RuleSet: f.ProcedureRuleSet.ID,
		OpenRepairID: f.OpenRepairID}
	refuse := func(conflict bool, code, msg string, details map[string]any) {
		if v.Refusal == nil {
			v.Refusal = &RepairRefusal{Code: code, Message: msg, Conflict: conflict, Details: details}
		}
	}
	check := func(rule string, ok bool, msg string, date *Date) {
		v.Checks = append(v.Checks, EligibilityCheck{Rule: rule, OK: ok, Message: msg, Date: date})
	}
	datePtr := func(d Date) *Date { return &d }

	// The record must still be public.
	switch {
	case f.RecordWithdrawn:
		msg := "该处罚信息已撤下公示（或处罚决定已撤销），无需申请信用修复"
		check("record_public", false, msg, nil)
		refuse(true, "record_withdrawn", msg, map[string]any{"rule": "record_public", "status": string(f.RecordStatus)})
	case !f.Published:
		msg := "该处罚信息依规则不向社会公示，无需申请信用修复"
		check("record_public", false, msg, nil)
		refuse(false, "not_repairable", msg, map[string]any{"rule": "record_public"})
	default:
		check("record_public", true, "该处罚信息正在公示", nil)
	}

	// A fraud record is published for its whole period and withdrawn by itself (Order 36 art. 25).
	if f.RecordKind == RecordKindFraud {
		msg := fmt.Sprintf("弄虚作假失信记录不得提前修复，将于公示期满（%s）后自动撤下", f.PublicationEnds)
		check("repairable", false, msg, datePtr(f.PublicationEnds))
		refuse(false, "not_repairable", msg, map[string]any{"rule": "fraud_record", "publication_ends": f.PublicationEnds})
		v.EligibleFrom = f.PublicationEnds.AddDays(1)
		return v, nil
	}

	// The record's own rule set: repairable early at all, and not ending by itself. A list entry is removed on
	// application instead (abnormal list: once its cause is corrected; serious list: after a year).
	listing := f.RecordKind == RecordKindAbnormalList || f.RecordKind == RecordKindSeriousList
	var pub Publication
	if !listing {
		var err error
		if pub, err = ComputePublication(f.RecordRuleSet, f.Penalty); err != nil {
			return v, fmt.Errorf("eligibility of penalty %d: %w", f.PenaltyID, err)
		}
	}
	switch {
	case listing:
		check("repairable", true, "名单信息可以申请移出", nil)
	case pub.AutoEndsWithoutApplication:
		msg := fmt.Sprintf("该信息公示期满（%s）后自动停止公示，无需申请信用修复", f.PublicationEnds)
		check("repairable", false, msg, datePtr(f.PublicationEnds))
		refuse(false, "not_repairable", msg, map[string]any{"rule": "auto_ends", "publication_ends": f.PublicationEnds})
	case !pub.RepairableEarly:
		msg := fmt.Sprintf("依规则集%s，该类信息不得提前修复，将于公示期满（%s）后撤下", f.RecordRuleSet.ID, f.PublicationEnds)
		check("repairable", false, msg, datePtr(f.PublicationEnds))
		refuse(false, "not_repairable", msg, map[string]any{"rule": "not_repairable_early",
			"publication_ends": f.PublicationEnds})
	default:
		check("repairable", true, "该类信息可以申请提前修复", nil)
	}

	// One open case per record.
	if f.OpenRepairID != 0 {
		msg := fmt.Sprintf("该处罚信息已有正在办理的信用修复申请（案件%d），不能重复申请", f.OpenRepairID)
		check("no_open_case", false, msg, nil)
		refuse(true, "repair_case_open", msg, map[string]any{"repair_id": f.OpenRepairID})
	} else {
		check("no_open_case", true, "没有正在办理的信用修复申请", nil)
	}

	// The minimum period, and a fraud ban.
	from := f.RepairEligibleFrom
	minOK := !f.Today.Before(f.RepairEligibleFrom)
	if minOK {
		check("min_publish_period", true, fmt.Sprintf("已满最短公示期限（自%s起可申请）", f.RepairEligibleFrom), datePtr(f.RepairEligibleFrom))
	} else {
		check("min_publish_period", false, fmt.Sprintf("未满最短公示期限，%s起方可申请信用修复", f.RepairEligibleFrom), datePtr(f.RepairEligibleFrom))
	}
	ban := f.FraudBan
	if ban != nil {
		after := ban.BannedUntil.AddDays(1)
		from = MaxDate(from, after)
		check("fraud_ban", false, fmt.Sprintf("该信息的信用修复曾因失信（%s）于%s被撤销，%s前不予修复", ban.Reason, ban.RevokedOn, after), datePtr(after))
	} else {
		check("fraud_ban", true, "没有因失信被撤销信用修复的记录", nil)
	}
	v.EligibleFrom = from
	if f.Today.Before(from) {
		rule, msg := "min_publish_period", fmt.Sprintf("未满最短公示期限，%s起方可申请信用修复", from)
		if ban != nil && !ban.BannedUntil.Before(f.Today) && !from.Before(ban.BannedUntil.AddDays(1)) {
			rule, msg = "fraud_ban", fmt.Sprintf("该信息的信用修复曾因失信被撤销，三年内不予修复，%s起方可申请", from)
		}
		refuse(false, "not_yet_eligible", msg, map[string]any{"eligible_from": from.String(), "rule": rule,
			"rule_set": f.RecordRuleSet.ID})
	}

	// A serious listing: no new 较重 penalty since it was listed.
	if f.RecordKind == RecordKindSeriousList {
		if n := f.NewerHeavierPenalty; n != nil {
			msg := fmt.Sprintf("列入严重失信主体名单后又受到较重行政处罚（%s，%s），不能申请移出", n.DecisionNo, n.DecidedOn)
			check("no_new_heavier_penalty", false, msg, nil)
			refuse(false, "new_heavier_penalty", msg, map[string]any{"rule": "no_new_heavier_penalty", "penalty_id": n.ID})
		} else {
			check("no_new_heavier_penalty", true, "列入名单后未再受到较重行政处罚", nil)
		}
	}

	// Market supervision: no new penalty of the same type since.
	if f.RecordRuleSet.NoNewSamePenaltyRequired {
		if n := f.NewerSamePenalty; n != nil {
			msg := fmt.Sprintf("依规则集%s，修复须未因同一类型违法行为再受行政处罚（列入严重违法失信名单的，须未再受到较重行政处罚）；你单位于%s又受到处罚（%s）", f.RecordRuleSet.ID, n.DecidedOn, n.DecisionNo)
			check("no_new_same_penalty", false, msg, nil)
			refuse(false, "new_same_penalty", msg, map[string]any{"rule": "no_new_same_penalty", "penalty_id": n.ID})
		} else {
			check("no_new_same_penalty", true, "未因同一类型违法行为再受行政处罚", nil)
		}
	}

	// The conditions the procedure's rule set adds: the case waits for them rather than refusing.
	rule, _ := f.ProcedureRuleSet.Class(f.Class)
	tr := &v.Training
	tr.Required = rule.RequiresTraining
	switch {
	case !tr.Required:
		tr.Satisfied, tr.Message = true, "规则集不要求参加信用修复培训"
	case f.TrainingCertificateID != 0:
		tr.Satisfied, tr.LetterID, tr.Message = true, f.TrainingCertificateID, "已取得信用修复培训证明，申请时自动计入"
	default:
		tr.Message = "须参加信用修复培训并考试合格；申请后案件将等待培训证明，取得后自动转认定部门"
		v.Missing = append(v.Missing, "信用修复培训合格证明")
	}
	cr := &v.CreditReport
	cr.Required = rule.RequiresCreditReport
	if cr.Required {
		cr.Message = "须提交信用服务机构出具的信用报告（可随申请上传，或申请后补充）"
		v.Missing = append(v.Missing, "信用服务机构出具的信用报告")
	} else {
		cr.Satisfied, cr.Message = true, "规则集不要求提交信用报告"
	}
	if !minOK {
		v.Missing = append(v.Missing, fmt.Sprintf("等待最短公示期满（%s起）", f.RepairEligibleFrom))
	}
	v.Eligible = v.Refusal == nil
	return v, nil
}
