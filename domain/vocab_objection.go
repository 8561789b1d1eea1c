package domain

// ObjectionStatus is where an objection case (objection-<id>) stands.
type ObjectionStatus string

// The statuses of an objection case.
const (
	ObjectionSubmitted ObjectionStatus = "submitted" // received at the single window, the workflow takes it in
	ObjectionVerifying ObjectionStatus = "verifying" // marked and forwarded: the department verifies and answers
	ObjectionResolved  ObjectionStatus = "resolved"  // answered: the channels are updated (corrected, unmarked, withdrawn)
	ObjectionClosed    ObjectionStatus = "closed"    // every channel shows the outcome
)

// ObjectionStatuses lists the statuses in procedure order.
var ObjectionStatuses = []ObjectionStatus{ObjectionSubmitted, ObjectionVerifying, ObjectionResolved, ObjectionClosed}

// Label is the Chinese name of the status.
func (s ObjectionStatus) Label() string {
	switch s {
	case ObjectionSubmitted:
		return "已提交"
	case ObjectionVerifying:
		return "认定部门核实中"
	case ObjectionResolved:
		return "已答复，各渠道同步中"
	case ObjectionClosed:
		return "已办结"
	}
	return string(s)
}

// ObjectionGrounds is why an enterprise objects (API values); GroundsAgainstRefusal objects to a refused repair,
// the others to a published record.
type ObjectionGrounds string

// Objection grounds.
const (
	GroundsNotMine            ObjectionGrounds = "not_mine"
	GroundsWrongContent       ObjectionGrounds = "wrong_content"
	GroundsDuplicate          ObjectionGrounds = "duplicate"
	GroundsShouldNotPublish   ObjectionGrounds = "should_not_publish"
	GroundsOverduePublication ObjectionGrounds = "overdue_publication"
	GroundsInconsistent       ObjectionGrounds = "inconsistent"
	GroundsAgainstRefusal     ObjectionGrounds = "against_refusal"
)

// AllObjectionGrounds lists every grounds value.
var AllObjectionGrounds = []ObjectionGrounds{GroundsNotMine, GroundsWrongContent, GroundsDuplicate,
	GroundsShouldNotPublish, GroundsOverduePublication, GroundsInconsistent, GroundsAgainstRefusal}

// MarksRecord reports whether an objection on these grounds marks the published record "异议处理中" (an objection
// to a refused repair concerns the decision, not the record).
func (g ObjectionGrounds) MarksRecord() bool { return g != GroundsAgainstRefusal }

// Label is the Chinese description of the grounds, "" for unknown grounds (letters show a default instead).
func (g ObjectionGrounds) Label() string {
	switch g {
	case GroundsNotMine:
		return "信息主体错误，并非本单位的信息"
	case GroundsWrongContent:
		return "信息内容有误"
	case GroundsDuplicate:
		return "信息重复公示"
	case GroundsShouldNotPublish:
		return "依法不应当公示"
	case GroundsOverduePublication:
		return "超过公示期限仍在公示"
	case GroundsInconsistent:
		return "公示信息与认定部门的决定不一致"
	case GroundsAgainstRefusal:
		return "对不予受理或者不予信用修复的决定有异议"
	}
	return ""
}

// ObjectionOutcome is how an objection was resolved (API values).
type ObjectionOutcome string

// Objection outcomes.
const (
	OutcomeCorrected ObjectionOutcome = "corrected"
	OutcomeWithdrawn ObjectionOutcome = "withdrawn"
	OutcomeUpheld    ObjectionOutcome = "upheld"
)

// Label is the Chinese name of the outcome, "" for an unknown one (letters show a default instead).
func (o ObjectionOutcome) Label() string {
	switch o {
	case OutcomeCorrected:
		return "异议成立，予以更正"
	case OutcomeWithdrawn:
		return "异议成立，删除信息并终止公示"
	case OutcomeUpheld:
		return "异议不成立，维持原信息"
	}
	return ""
}

// ObjectionAction is what a channel is asked to do for an objection.
type ObjectionAction string

// The channel actions of an objection.
const (
	ObjectionMark    ObjectionAction = "mark"    // show the record marked "异议处理中"
	ObjectionUnmark  ObjectionAction = "unmark"  // remove the mark (upheld)
	ObjectionCorrect ObjectionAction = "correct" // show the corrected record, without the mark
)

// Label is the Chinese name of the action.
func (a ObjectionAction) Label() string {
	switch a {
	case ObjectionMark:
		return "标注“异议处理中”"
	case ObjectionUnmark:
		return "撤除异议标注"
	case ObjectionCorrect:
		return "更新为更正后的信息"
	}
	return string(a)
}
