package demo

import (
	"fmt"
	"time"

	"xinyong/domain"
)

// Fate is where a demo penalty is taken to.
type Fate string

// The fates of the demo penalties: every lifecycle state of issue 20, and the records that repair cases and
// objections concern.
const (
	FateAwaitingDelivery Fate = "awaiting_delivery" // registered in the last days: the department still has to deliver
	FateOverdueDelivery  Fate = "overdue_delivery"  // delivery deadline passed: escalated to the credit office
	FatePublished        Fate = "published"         // delivered and shown on every channel
	FateEligible         Fate = "eligible"          // the minimum period has run: repair may be asked
	FateExpired          Fate = "expired"           // the publication period ended: withdrawn everywhere
	FateRevoked          Fate = "revoked"           // the decision was revoked on review: withdrawn everywhere
	FateRepair           Fate = "repair"            // eligible, and its enterprise applied for repair
	FateObjection        Fate = "objection"         // published, and its enterprise objected
)

// How many penalties of each fate the demo city has (200 in all).
var fateCounts = []struct {
	fate Fate
	n    int
}{
	{FateAwaitingDelivery, 18}, {FateOverdueDelivery, 15}, {FatePublished, 45}, {FateEligible, 53},
	{FateExpired, 40}, {FateRevoked, 12}, {FateRepair, 12}, {FateObjection, 5},
}

// Penalty is one planned registration.
type Penalty struct {
	N       int // its number in the plan; the idempotency keys of its steps derive from it
	Dept    string
	Ent     Enterprise
	No      string
	Decided domain.Date
	Fate    Fate
	// Scenario is the repair or objection case's scenario (which step it waits at).
	Scenario int
	// HoldChannel is the channel whose withdrawal is left to confirm (one revoked record has one: it was shown on
	// every channel first, so its withdrawal order has channels to confirm).
	HoldChannel string
	body        map[string]any
}

// offense is a violation a department penalizes.
type offense struct {
	facts, basis string
	fine         int
	minor        bool
}

var offenses = map[string][]offense{
	"sthjj": {
		{facts: "超标排放大气污染物", basis: "《中华人民共和国大气污染防治法》第九十九条", fine: 100000},
		{facts: "未按规定贮存危险废物", basis: "《中华人民共和国固体废物污染环境防治法》第一百一十二条", fine: 150000},
		{facts: "建设项目未依法报批环境影响评价文件擅自开工建设", basis: "《中华人民共和国环境影响评价法》第三十一条", fine: 200000},
		{facts: "未按规定公开排污信息", basis: "《企业环境信息依法披露管理办法》第二十八条", fine: 2000, minor: true},
	},
	"yjglj": {
		{facts: "未按规定对从业人员进行安全生产教育和培训", basis: "《中华人民共和国安全生产法》第九十七条", fine: 50000},
		{facts: "未对重大危险源登记建档并进行定期检测、评估", basis: "《中华人民共和国安全生产法》第一百零一条", fine: 80000},
		{facts: "未在有较大危险因素的生产经营场所设置明显的安全警示标志", basis: "《中华人民共和国安全生产法》第九十九条", fine: 3000, minor: true},
	},
	"scjgj": {
		{facts: "发布虚假广告", basis: "《中华人民共和国广告法》第五十五条", fine: 60000},
		{facts: "销售不合格产品", basis: "《中华人民共和国产品质量法》第四十九条", fine: 70000},
		{facts: "未按规定公示年度报告以外的即时信息", basis: "《企业信息公示暂行条例》第十八条", fine: 3000, minor: true},
	},
}

var departments = []string{"sthjj", "yjglj", "scjgj"}

var decisionPrefix = map[string]string{"sthjj": "镇环罚", "yjglj": "镇应急罚", "scjgj": "镇市监罚"}

// Plan lays out the demo city's 200 penalties as of today: who penalized whom, when, for what, and where each is
// taken. Records of the enterprises with demo logins carry the repair cases and objections.
func Plan(today domain.Date) []Penalty {
	ents := Enterprises()
	var logins, others []Enterprise
	for _, e := range ents {
		if e.Login {
			logins = append(logins, e)
		} else {
			others = append(others, e)
		}
	}
	seq := map[string]int{}
	var out []Penalty
	n := 0
	for _, fc := range fateCounts {
		for i := 0; i < fc.n; i++ {
			dept := departments[(n+i)%len(departments)]
			switch fc.fate {
			case FateOverdueDelivery:
				dept = departments[i%len(departments)] // every department has overdue deliveries
			case FateRepair:
				// Under samr a newer penalty of the same type would block a repair; the repair cases are ndrc's.
				dept = departments[i%2]
			}
			p := Penalty{N: n + i, Dept: dept, Fate: fc.fate, Scenario: i}
			switch fc.fate {
			case FateRepair, FateObjection:
				p.Ent = logins[i%len(logins)]
			default:
				// The first demo login also has records in other states, so its own pages are full.
				if i == 0 && (fc.fate == FatePublished || fc.fate == FateAwaitingDelivery || fc.fate == FateExpired) {
					p.Ent = logins[0]
				} else {
					p.Ent = others[(n*7+i)%len(others)]
				}
			}
			ago := 0
			switch fc.fate {
			case FateAwaitingDelivery:
				ago = i % 3
			case FateOverdueDelivery:
				ago = 16 + 2*i
			case FatePublished:
				ago = 12 + (i*37)%70
			case FateEligible:
				ago = 100 + (i*29)%130
			case FateExpired:
				ago = 100 + (i*31)%120
			case FateRevoked:
				ago = 30 + (i*17)%60
			case FateRepair:
				ago = 110 + 7*i
			case FateObjection:
				ago = 20 + 8*i
			}
			p.Decided = workday(today.AddDays(-ago))
			if fc.fate == FateRevoked && i == 0 {
				p.HoldChannel = "thirdparty"
			}
			seq[dept]++
			p.No = fmt.Sprintf("%s〔%d〕%d号", decisionPrefix[dept], p.Decided.Y, 100+seq[dept])
			p.body = penaltyBody(p, fc.fate == FateExpired, i)
			out = append(out, p)
		}
		n += fc.n
	}
	return out
}

// workday moves a weekend date back to the Friday before (departments decide on working days).
func workday(d domain.Date) domain.Date {
	switch d.Weekday() {
	case time.Saturday:
		return d.AddDays(-1)
	case time.Sunday:
		return d.AddDays(-2)
	}
	return d
}

// penaltyBody is the registration of a planned penalty: a general-class fine, or for records whose period has
// ended a minor one (published on the department's decision under ndrc, a low fine that ends by itself under samr).
func penaltyBody(p Penalty, minor bool, i int) map[string]any {
	var pick []offense
	for _, o := range offenses[p.Dept] {
		if o.minor == minor {
			pick = append(pick, o)
		}
	}
	o := pick[i%len(pick)]
	b := map[string]any{
		"decision_no": p.No, "uscc": p.Ent.USCC, "enterprise_name": p.Ent.Name, "decided_on": p.Decided.String(),
		"penalty_types": []string{"fine"}, "fine_amount_yuan": o.fine, "facts": o.facts, "legal_basis": o.basis,
	}
	if minor {
		b["class"] = "minor"
		if p.Dept == "scjgj" {
			b["discretion"] = "lighter"
		} else {
			b["publish_minor"] = true
		}
	} else {
		b["class"] = "general"
	}
	return b
}
