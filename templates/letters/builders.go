package letters

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Issue is what every letter carries besides its content: who issues it, its number and date, and
// how to verify it.
type Issue struct {
	// Issuer is the issuing authority (a recognizing department or the credit office). It is printed
	// as the letterhead and above the seal.
	Issuer     string
	Number     string // 文号
	Date       time.Time
	VerifyCode string
	VerifyURL  string
}

func (is Issue) letter(k Kind) Letter {
	return Letter{
		Kind: k, Letterhead: is.Issuer, Title: DefaultTitle(k), Number: is.Number, Issuer: is.Issuer,
		Date: is.Date, VerifyCode: is.VerifyCode, VerifyURL: is.VerifyURL,
	}
}

// subject names an enterprise the way letters do: 名称（统一社会信用代码：…）.
func subject(name, uscc string) string {
	if uscc == "" {
		return name
	}
	return name + "（统一社会信用代码：" + uscc + "）"
}

// or returns s, or alt when s is empty.
func or(s, alt string) string {
	if strings.TrimSpace(s) == "" {
		return alt
	}
	return s
}

// cnNumber writes 1..99 in Chinese numerals (一, 十二, 二十三), as used for 一、 and （一）.
func cnNumber(n int) string {
	const digits = "〇一二三四五六七八九"
	d := []rune(digits)
	switch {
	case n <= 0 || n >= 100:
		return strconv.Itoa(n)
	case n < 10:
		return string(d[n])
	case n == 10:
		return "十"
	case n < 20:
		return "十" + string(d[n-10])
	case n%10 == 0:
		return string(d[n/10]) + "十"
	default:
		return string(d[n/10]) + "十" + string(d[n%10])
	}
}

// enumerate numbers items （一）, （二）, … ending each with a semicolon and the last with a full stop,
// the way a list inside a letter is punctuated.
func enumerate(items []string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it = strings.TrimRight(strings.TrimSpace(it), "；。;.，,"); it != "" {
			out = append(out, "（"+cnNumber(len(out)+1)+"）"+it+"；")
		}
	}
	if n := len(out); n > 0 {
		out[n-1] = strings.TrimSuffix(out[n-1], "；") + "。"
	}
	return out
}

// numbered turns items into table rows of 序号 and the item.
func numbered(items []string) [][]string {
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			rows = append(rows, []string{strconv.Itoa(len(rows) + 1), it})
		}
	}
	return rows
}

// dateOr prints d, or alt when d is zero.
func dateOr(d time.Time, alt string) string {
	if d.IsZero() {
		return alt
	}
	return FormatDate(d)
}

// remedy is the standard notice of the right to administrative reconsideration and litigation
// (Administrative Reconsideration Law: 60 days; Administrative Litigation Law: 6 months).
func remedy(body string) string {
	s := "你单位如对本决定不服，可以自收到本决定之日起六十日内依法申请行政复议"
	if body != "" {
		s += "（复议机关：" + body + "）"
	}
	return s + "，或者在六个月内依法向人民法院提起行政诉讼。"
}

const blankDate = "　　　　年　　月　　日"

// DefaultRepairConditions are the national conditions of repair (NDRC Order No. 36), used when a
// rule set supplies none.
func DefaultRepairConditions() []string {
	return []string{
		"已达到最短公示期限（轻微失信信息在履行相关义务后即可申请）",
		"已履行行政处罚决定规定的义务，缴清罚款，完成整改，纠正失信行为",
		"作出信用承诺，承诺所提交材料真实有效，并承担虚假承诺的法律责任",
		"不存在因提供虚假材料、作出虚假承诺被撤销信用修复且尚在限制期内的情形",
	}
}

// DefaultRepairMaterials are the materials of a repair application, used when a rule set supplies
// none.
func DefaultRepairMaterials() []string {
	return []string{
		"信用修复申请书",
		"信用承诺书（统一模板，由法定代表人签字并加盖公章）",
		"履行行政处罚决定义务的证明材料（罚款缴纳凭证、整改完成情况说明等）",
		"营业执照复印件及经办人身份证明、授权委托书",
	}
}

// RepairNoticeData is the content of a 信用修复告知书, delivered together with the penalty decision
// (两书同送).
type RepairNoticeData struct {
	Issue
	EnterpriseName string
	USCC           string
	DecisionNo     string // the penalty decision's number
	DecidedOn      time.Time
	ClassLabel     string   // 轻微, 一般 or 严重
	Channels       []string // where the record is published
	// PublicationMin and PublicationMax describe the class's periods ("3个月", "1年").
	PublicationMin     string
	PublicationMax     string
	PublicationEnds    time.Time // when publication ends automatically
	RepairEligibleFrom time.Time // earliest application date; zero or ≤ DecidedOn: once obligations are met
	Conditions         []string  // nil: DefaultRepairConditions
	Materials          []string  // nil: DefaultRepairMaterials
	ApplyOnline        string    // the online service (一网通办)
	ApplyWindow        string    // the service window (一窗受理)
	AcceptWorkingDays  int       // deadline to accept an application, 0 to omit
	DecideWorkingDays  int       // deadline to decide after acceptance, 0 to omit
	Contact            string
}

// RepairNotice builds the 信用修复告知书.
func RepairNotice(d RepairNoticeData) Letter {
	l := d.letter(KindRepairNotice)
	l.Addressee = d.EnterpriseName
	l.Paragraphs = []string{
		fmt.Sprintf("本机关于%s对你单位作出行政处罚决定（%s），现随行政处罚决定书一并送达本告知书。"+
			"根据《信用修复管理办法》等规定，该行政处罚信息将依法向社会公示，现将公示期限和信用修复有关事项告知如下。",
			dateOr(d.DecidedOn, "近日"), d.DecisionNo),
	}
	eligible := "履行行政处罚决定规定的义务后即可申请"
	if !d.RepairEligibleFrom.IsZero() && d.RepairEligibleFrom.After(d.DecidedOn) {
		eligible = FormatDate(d.RepairEligibleFrom) + "起，在履行行政处罚决定规定的义务后可以申请"
	}
	period := ""
	switch {
	case d.PublicationMin != "" && d.PublicationMax != "":
		period = "最短公示期" + d.PublicationMin + "，最长公示期" + d.PublicationMax + "；"
	case d.PublicationMax != "":
		period = "公示期" + d.PublicationMax + "；"
	}
	l.Facts = []Fact{
		{Label: "信用主体", Value: d.EnterpriseName},
		{Label: "统一社会信用代码", Value: d.USCC},
		{Label: "行政处罚决定书文号", Value: d.DecisionNo},
		{Label: "作出决定日期", Value: FormatDate(d.DecidedOn)},
		{Label: "失信信息类别", Value: or(d.ClassLabel, "—") + "失信信息"},
		{Label: "公示渠道", Value: or(strings.Join(d.Channels, "、"), "—")},
		{Label: "公示期限", Value: period + "自" + FormatDate(d.DecidedOn) + "起至" + dateOr(d.PublicationEnds, "期满") + "止，期满自动停止公示"},
		{Label: "可申请信用修复时间", Value: eligible},
	}
	conditions, materials := d.Conditions, d.Materials
	if conditions == nil {
		conditions = DefaultRepairConditions()
	}
	if materials == nil {
		materials = DefaultRepairMaterials()
	}
	l.Notes = append(l.Notes, "一、申请条件。申请信用修复应当同时符合下列条件：")
	l.Notes = append(l.Notes, enumerate(conditions)...)
	l.Notes = append(l.Notes, "二、申请材料。")
	l.Notes = append(l.Notes, enumerate(materials)...)
	apply := "三、申请方式。"
	switch {
	case d.ApplyOnline != "" && d.ApplyWindow != "":
		apply += "你单位可以通过" + d.ApplyOnline + "在线提交申请，也可以到" + d.ApplyWindow + "现场提交申请。"
	case d.ApplyOnline != "":
		apply += "你单位可以通过" + d.ApplyOnline + "在线提交申请。"
	case d.ApplyWindow != "":
		apply += "你单位可以到" + d.ApplyWindow + "提交申请。"
	}
	apply += "申请由社会信用体系建设牵头部门统一受理后转本机关办理"
	if d.AcceptWorkingDays > 0 {
		apply += fmt.Sprintf("，本机关自收到申请之日起%d个工作日内决定是否受理", d.AcceptWorkingDays)
	}
	if d.DecideWorkingDays > 0 {
		apply += fmt.Sprintf("，自受理之日起%d个工作日内作出是否准予信用修复的决定", d.DecideWorkingDays)
	}
	l.Notes = append(l.Notes, apply+"。信用修复不收取任何费用，信用修复次数不受限制。")
	l.Notes = append(l.Notes, "四、准予信用修复的，相关信息将在“信用中国”网站及各公示渠道终止公示；"+
		"提供虚假材料或者作出虚假承诺的，将撤销信用修复决定，并依法记入信用记录。")
	if d.Contact != "" {
		l.Notes = append(l.Notes, "五、联系方式："+d.Contact+"。")
	}
	l.Closing = "特此告知。"
	return l
}

// DeliveryMethod is how a document was delivered (API values).
type DeliveryMethod string

// Delivery methods under the Administrative Penalty Law and the Civil Procedure Law.
const (
	DeliveryInPerson   DeliveryMethod = "in_person"
	DeliveryPost       DeliveryMethod = "post"
	DeliveryElectronic DeliveryMethod = "electronic"
	DeliveryRefused    DeliveryMethod = "refused"
)

// Label returns the Chinese name of the delivery method, or "" for an unknown one.
func (m DeliveryMethod) Label() string {
	switch m {
	case DeliveryInPerson:
		return "直接送达"
	case DeliveryPost:
		return "邮寄送达"
	case DeliveryElectronic:
		return "电子送达"
	case DeliveryRefused:
		return "留置送达"
	}
	return ""
}

// ReceiptDocument is one document listed on a delivery receipt.
type ReceiptDocument struct {
	Name   string // 行政处罚决定书
	Number string
}

// DeliveryReceiptData is the content of a 送达回证.
type DeliveryReceiptData struct {
	Issue
	Recipient string // 受送达人
	USCC      string
	Documents []ReceiptDocument
	Address   string // 送达地点
	Method    DeliveryMethod
	Servers   []string // 送达人
	Witness   string   // 见证人, for a refused delivery
	Remarks   string
}

// DeliveryReceipt builds the 送达回证: a form the recipient signs and dates by hand.
func DeliveryReceipt(d DeliveryReceiptData) Letter {
	l := d.letter(KindDeliveryReceipt)
	docs := make([]string, 0, len(d.Documents))
	for _, doc := range d.Documents {
		s := "《" + strings.Trim(doc.Name, "《》") + "》"
		if doc.Number != "" {
			s += "（" + doc.Number + "）"
		}
		docs = append(docs, s)
	}
	l.Facts = []Fact{
		{Label: "受送达人", Value: subject(d.Recipient, d.USCC)},
		{Label: "送达文书名称及文号", Value: strings.Join(docs, "\n")},
		{Label: "送达地点", Value: d.Address},
		{Label: "送达方式", Value: d.Method.Label()},
		{Label: "收件人签名或盖章", Lines: 3},
		{Label: "签收日期", Value: blankDate, Lines: 2},
		{Label: "送达人", Value: strings.Join(d.Servers, "、"), Lines: 2},
		{Label: "见证人", Value: d.Witness, Lines: 2},
		{Label: "备注", Value: d.Remarks, Lines: 3},
	}
	l.Notes = []string{
		"说明：受送达人应当在本回证上签名或者盖章，并写明签收日期；签收日期为送达日期。" +
			"受送达人拒绝签收的，送达人应当在备注栏写明拒收事由和日期，由送达人、见证人签名或者盖章，" +
			"把文书留在受送达人的住所，即视为送达。电子送达以经受送达人同意为前提，自文书到达受送达人特定系统之日起生效。",
	}
	return l
}

// CommitmentData is the content of the unified 信用承诺书 an enterprise signs to apply for repair.
type CommitmentData struct {
	Recipient           string // the department or credit office the commitment is made to
	EnterpriseName      string
	USCC                string
	LegalRepresentative string
	DecisionNo          string // the penalty decision the repair concerns
	// SignedOnline records that the enterprise accepted the commitment on the platform on Date.
	SignedOnline bool
	Date         time.Time
	VerifyCode   string
	VerifyURL    string
}

// Commitment builds the unified 信用承诺书 for a repair application.
func Commitment(d CommitmentData) Letter {
	l := Letter{
		Kind: KindCommitment, Title: DefaultTitle(KindCommitment), Addressee: d.Recipient,
		Issuer: d.EnterpriseName, Date: d.Date, VerifyCode: d.VerifyCode, VerifyURL: d.VerifyURL,
		Signatures: []string{"法定代表人（签字）"},
	}
	l.Paragraphs = []string{
		"本单位就下列行政处罚决定所涉失信信息申请信用修复。",
	}
	l.Notes = []string{
		"本单位郑重承诺：",
		"一、本单位提交的信用修复申请材料全部真实、准确、完整、有效，不存在虚假记载、误导性陈述或者重大遗漏。",
		"二、本单位已经履行行政处罚决定规定的全部义务，相关失信行为已经纠正，整改到位。",
		"三、本单位将严格遵守法律、法规和规章，依法诚信经营，主动接受行政机关和社会的监督。",
		"四、本单位如提供虚假材料、作出虚假承诺或者违反本承诺，自愿接受撤销信用修复决定、" +
			"将相关情况记入信用记录并向社会公示等处理，依法承担相应的法律责任，且在规定期限内不再申请信用修复。",
		"五、本单位同意将本承诺书向社会公开，接受社会监督。",
	}
	l.Facts = []Fact{
		{Label: "承诺主体", Value: d.EnterpriseName},
		{Label: "统一社会信用代码", Value: d.USCC},
		{Label: "法定代表人", Value: d.LegalRepresentative},
		{Label: "行政处罚决定书文号", Value: d.DecisionNo},
	}
	if d.SignedOnline {
		l.Notes = append(l.Notes, signedOnline(d.Date))
	}
	l.Closing = "特此承诺。"
	return l
}

func signedOnline(d time.Time) string {
	return "本承诺书已于" + FormatDate(d) + "由承诺主体通过信用修复协同平台在线确认。"
}

// ApplicationRef identifies a repair or objection application in a department's reply.
type ApplicationRef struct {
	EnterpriseName string
	USCC           string
	ApplicationNo  string
	ReceivedOn     time.Time
}

func (a ApplicationRef) received(what string) string {
	s := "你单位于" + dateOr(a.ReceivedOn, "近日") + "提交的" + what
	if a.ApplicationNo != "" {
		s += "（申请编号：" + a.ApplicationNo + "）"
	}
	return s + "收悉。"
}

func (a ApplicationRef) facts(decisionNo string) []Fact {
	f := []Fact{
		{Label: "申请人", Value: a.EnterpriseName},
		{Label: "统一社会信用代码", Value: a.USCC},
	}
	if a.ApplicationNo != "" {
		f = append(f, Fact{Label: "申请编号", Value: a.ApplicationNo})
	}
	if decisionNo != "" {
		f = append(f, Fact{Label: "行政处罚决定书文号", Value: decisionNo})
	}
	return f
}

// SupplementNoticeData is the content of a 补正通知书: every missing item, told at once (一次性告知).
type SupplementNoticeData struct {
	Issue
	ApplicationRef
	DecisionNo string
	Items      []string  // every missing or defective item
	DueOn      time.Time // zero: no date printed
	SubmitVia  string    // where to submit the supplement
	Contact    string
}

// SupplementNotice builds the 补正通知书.
func SupplementNotice(d SupplementNoticeData) Letter {
	l := d.letter(KindSupplementNotice)
	l.Addressee = d.EnterpriseName
	l.Paragraphs = []string{
		d.received("信用修复申请") + "经审查，申请材料不齐全或者不符合规定形式。根据《信用修复管理办法》，现一次性告知你单位需要补正的全部内容（见下表）。",
	}
	l.Facts = d.facts(d.DecisionNo)
	l.Table = &Table{Caption: "需要补正的材料和事项", Headers: []string{"序号", "需要补正的材料或事项"}, Rows: numbered(d.Items)}
	how := "请你单位"
	if !d.DueOn.IsZero() {
		how += "于" + FormatDate(d.DueOn) + "前"
	}
	if d.SubmitVia != "" {
		how += "通过" + d.SubmitVia
	}
	how += "补正上述材料。材料补正齐全后，本机关将依法受理并办理；补正所用时间不计入办理期限。"
	l.Notes = []string{how}
	if d.Contact != "" {
		l.Notes = append(l.Notes, "联系方式："+d.Contact+"。")
	}
	l.Closing = "特此通知。"
	return l
}

// NotAcceptedData is the content of a 不予受理通知书.
type NotAcceptedData struct {
	Issue
	ApplicationRef
	DecisionNo          string
	Reason              string
	ReconsiderationBody string // optional: the body that hears an administrative reconsideration
}

// NotAccepted builds the 不予受理通知书.
func NotAccepted(d NotAcceptedData) Letter {
	l := d.letter(KindNotAccepted)
	l.Addressee = d.EnterpriseName
	l.Paragraphs = []string{
		d.received("信用修复申请") + "经审查，" + strings.TrimSuffix(or(d.Reason, "你单位的申请不符合受理条件"), "。") +
			"。根据《信用修复管理办法》，本机关决定不予受理。",
		"你单位符合信用修复条件后，可以重新提出申请。" + remedy(d.ReconsiderationBody),
	}
	l.Facts = append(d.facts(d.DecisionNo), Fact{Label: "处理结果", Value: "不予受理"})
	l.Closing = "特此通知。"
	return l
}

// RepairDecisionData is the content of a repair decision, approving or refusing.
type RepairDecisionData struct {
	Issue
	ApplicationRef
	DecisionNo          string   // the penalty decision whose record is repaired
	RecordTitle         string   // how the record is described (行政处罚信息)
	Channels            []string // where the record is published (approval only)
	Reason              string   // refusal: why; approval: optional finding
	ReconsiderationBody string
}

// RepairApproved builds the 准予信用修复决定书.
func RepairApproved(d RepairDecisionData) Letter {
	l := d.letter(KindRepairApproved)
	l.Addressee = d.EnterpriseName
	finding := or(strings.TrimSuffix(d.Reason, "。"), "你单位已履行行政处罚决定规定的义务，纠正了失信行为，作出了信用承诺，符合信用修复条件")
	l.Paragraphs = []string{
		d.received("信用修复申请") + "经审核，" + finding + "。根据《信用修复管理办法》，本机关决定准予信用修复。",
		"本机关将终止该信息的公示，并由社会信用体系建设牵头部门出具告知函，通知各公示渠道在规定时限内撤下相关信息、停止共享、解除相关惩戒措施（一件通用）。",
		"你单位应当履行信用承诺。发现你单位提供虚假材料、作出虚假承诺的，本机关将撤销本决定，并依法记入信用记录。",
	}
	l.Facts = append(d.facts(d.DecisionNo),
		Fact{Label: "修复信息", Value: or(d.RecordTitle, "行政处罚信息")},
		Fact{Label: "公示渠道", Value: or(strings.Join(d.Channels, "、"), "—")},
		Fact{Label: "决定结果", Value: "准予信用修复"},
	)
	l.Closing = "特此决定。"
	return l
}

// RepairRefused builds the 不予信用修复决定书.
func RepairRefused(d RepairDecisionData) Letter {
	l := d.letter(KindRepairRefused)
	l.Addressee = d.EnterpriseName
	l.Paragraphs = []string{
		d.received("信用修复申请") + "经审核，" + strings.TrimSuffix(or(d.Reason, "你单位的申请不符合信用修复条件"), "。") +
			"。根据《信用修复管理办法》，本机关决定不予信用修复。",
		"你单位符合信用修复条件后，可以重新提出申请。" + remedy(d.ReconsiderationBody),
	}
	l.Facts = append(d.facts(d.DecisionNo),
		Fact{Label: "涉及信息", Value: or(d.RecordTitle, "行政处罚信息")},
		Fact{Label: "决定结果", Value: "不予信用修复"},
	)
	l.Closing = "特此决定。"
	return l
}

// WithdrawalCause is why a record is withdrawn from every channel (API values).
type WithdrawalCause string

// Withdrawal causes.
const (
	CauseRepair     WithdrawalCause = "repair"
	CauseExpiry     WithdrawalCause = "expiry"
	CauseObjection  WithdrawalCause = "objection"
	CauseRevocation WithdrawalCause = "revocation"
)

// Label returns the Chinese name of the cause, or "" for an unknown one.
func (c WithdrawalCause) Label() string {
	switch c {
	case CauseRepair:
		return "信用修复"
	case CauseExpiry:
		return "公示期满"
	case CauseObjection:
		return "异议处理"
	case CauseRevocation:
		return "原决定被撤销或者变更"
	}
	return ""
}

// ChannelLine is one publishing channel addressed by a withdrawal letter.
type ChannelLine struct {
	Name  string
	Kind  string // 国家平台, 地方站点, 部门网站, 第三方信用服务机构 …
	DueOn time.Time
}

// WithdrawalNoticeData is the content of the 告知函 of 一件通用.
type WithdrawalNoticeData struct {
	Issue
	EnterpriseName string
	USCC           string
	RecordTitle    string // the record (行政处罚信息)
	DecisionNo     string // the penalty decision's number
	Cause          WithdrawalCause
	// CauseDecision is the decision behind the withdrawal: a repair decision's number, the date the
	// publication period ended, an objection result, or the revoking ruling.
	CauseDecision string
	Channels      []ChannelLine
	Contact       string
}

// WithdrawalNotice builds the 告知函 addressed to every channel that published the record.
func WithdrawalNotice(d WithdrawalNoticeData) Letter {
	l := d.letter(KindWithdrawalNotice)
	l.Addressee = "各有关公示渠道"
	record := or(d.RecordTitle, "行政处罚信息")
	var why string
	switch d.Cause {
	case CauseRepair:
		why = "认定部门已作出准予信用修复决定"
	case CauseExpiry:
		why = "该信息公示期已经届满"
	case CauseObjection:
		why = "经异议核查，认定部门已作出处理决定"
	case CauseRevocation:
		why = "原行政处罚决定已被依法撤销或者变更"
	default:
		why = "该信息依法应当停止公示"
	}
	if d.CauseDecision != "" {
		why += "（" + d.CauseDecision + "）"
	}
	l.Paragraphs = []string{
		fmt.Sprintf("%s的%s（%s），%s。", subject(d.EnterpriseName, d.USCC), record, d.DecisionNo, why),
		"根据《信用修复管理办法》和“一件通用”工作机制，本函对下列各公示渠道同等有效。请各渠道在下表所列期限内" +
			"终止公示该信息、停止共享并解除相关惩戒措施，并通过信用修复协同平台反馈办理结果；第三方信用服务机构应当与“信用中国”网站保持一致。",
	}
	l.Facts = []Fact{
		{Label: "信用主体", Value: d.EnterpriseName},
		{Label: "统一社会信用代码", Value: d.USCC},
		{Label: "涉及信息", Value: record},
		{Label: "行政处罚决定书文号", Value: d.DecisionNo},
		{Label: "撤下原因", Value: or(d.Cause.Label(), "—")},
		{Label: "依据", Value: or(d.CauseDecision, "—")},
	}
	rows := make([][]string, 0, len(d.Channels))
	for i, c := range d.Channels {
		rows = append(rows, []string{strconv.Itoa(i + 1), c.Name, c.Kind, dateOr(c.DueOn, "—")})
	}
	l.Table = &Table{Caption: "送达的公示渠道", Headers: []string{"序号", "公示渠道", "类型", "办结期限"}, Rows: rows}
	if d.Contact != "" {
		l.Notes = []string{"联系方式：" + d.Contact + "。"}
	}
	l.Closing = "特此函告。"
	return l
}

// RectificationNoticeData is the content of a 整改通知书.
type RectificationNoticeData struct {
	Issue
	ApplicationRef
	DecisionNo   string
	Requirements []string
	DueOn        time.Time
	Contact      string
}

// RectificationNotice builds the 整改通知书 setting a rectification deadline.
func RectificationNotice(d RectificationNoticeData) Letter {
	l := d.letter(KindRectificationNotice)
	l.Addressee = d.EnterpriseName
	l.Paragraphs = []string{
		d.received("信用修复申请") + "经审核，你单位行政处罚决定（" + d.DecisionNo + "）所涉失信行为尚未整改到位。" +
			"现要求你单位于" + dateOr(d.DueOn, "规定期限") + "前按下表要求完成整改。",
	}
	l.Facts = append(d.facts(d.DecisionNo), Fact{Label: "整改期限", Value: dateOr(d.DueOn, "—")})
	l.Table = &Table{Caption: "整改要求", Headers: []string{"序号", "整改要求"}, Rows: numbered(d.Requirements)}
	l.Notes = []string{
		"整改完成后，请将整改情况报告及相关证明材料提交本机关。逾期未完成整改的，本机关将约请你单位主要负责人进行警示约谈。",
	}
	if d.Contact != "" {
		l.Notes = append(l.Notes, "联系方式："+d.Contact+"。")
	}
	l.Closing = "特此通知。"
	return l
}

// WarningInterviewData is the content of a 警示约谈记录.
type WarningInterviewData struct {
	Issue
	EnterpriseName  string
	USCC            string
	DecisionNo      string
	HeldOn          time.Time
	Place           string
	Interviewee     string
	IntervieweeRole string // 法定代表人, 主要负责人
	Interviewers    []string
	Recorder        string
	Cause           string // 约谈事由
	Notes           string // what was said; "\n" separates paragraphs
	Undertakings    string // what the enterprise undertook to do
}

// WarningInterview builds the 警示约谈记录, signed by everyone present.
func WarningInterview(d WarningInterviewData) Letter {
	l := d.letter(KindWarningInterview)
	l.Facts = []Fact{
		{Label: "约谈时间", Value: FormatDate(d.HeldOn)},
		{Label: "约谈地点", Value: d.Place},
		{Label: "约谈对象", Value: subject(d.EnterpriseName, d.USCC)},
		{Label: "被约谈人及职务", Value: strings.TrimSpace(d.Interviewee + "　" + d.IntervieweeRole)},
		{Label: "约谈人", Value: strings.Join(d.Interviewers, "、")},
		{Label: "记录人", Value: d.Recorder},
		{Label: "约谈事由", Value: or(d.Cause, "未按期完成信用修复整改要求（行政处罚决定书文号："+d.DecisionNo+"）")},
	}
	l.Notes = []string{"一、约谈内容。"}
	for _, p := range strings.Split(d.Notes, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			l.Notes = append(l.Notes, p)
		}
	}
	l.Notes = append(l.Notes, "二、约谈对象表态及整改承诺。")
	if u := strings.TrimSpace(d.Undertakings); u != "" {
		l.Notes = append(l.Notes, u)
	}
	l.Notes = append(l.Notes, "三、本记录经被约谈人阅读（或者向其宣读）无误后签字确认。")
	l.Signatures = []string{"被约谈人（签字）", "约谈人（签字）", "记录人（签字）"}
	return l
}

// ExtensionNoticeData is the content of a 延期告知书, for a repair or an objection.
type ExtensionNoticeData struct {
	Issue
	ApplicationRef
	Procedure        string // 信用修复申请 or 异议申请
	Reason           string
	ExtraWorkingDays int
	OriginalDue      time.Time
	NewDue           time.Time
}

// ExtensionNotice builds the 延期告知书, sent before the original deadline passes.
func ExtensionNotice(d ExtensionNoticeData) Letter {
	l := d.letter(KindExtensionNotice)
	l.Addressee = d.EnterpriseName
	proc := or(d.Procedure, "信用修复申请")
	ext := "需要延长办理期限"
	if d.ExtraWorkingDays > 0 {
		ext = fmt.Sprintf("办理期限延长%d个工作日", d.ExtraWorkingDays)
	}
	l.Paragraphs = []string{
		d.received(proc) + "因" + strings.TrimSuffix(or(d.Reason, "情况复杂，需要进一步核查"), "。") +
			"，根据有关规定，" + ext + "，办理期限由" + dateOr(d.OriginalDue, "原定期限") +
			"延长至" + dateOr(d.NewDue, "—") + "。",
		"本机关将在延长的期限内办结并告知你单位结果。",
	}
	l.Facts = append(d.facts(""),
		Fact{Label: "办理事项", Value: proc},
		Fact{Label: "原办理期限", Value: dateOr(d.OriginalDue, "—")},
		Fact{Label: "延长后期限", Value: dateOr(d.NewDue, "—")},
	)
	l.Closing = "特此告知。"
	return l
}

// ObjectionGrounds is why an enterprise objects to a published record (API values).
type ObjectionGrounds string

// Objection grounds.
const (
	GroundsNotMine            ObjectionGrounds = "not_mine"
	GroundsWrongContent       ObjectionGrounds = "wrong_content"
	GroundsDuplicate          ObjectionGrounds = "duplicate"
	GroundsShouldNotPublish   ObjectionGrounds = "should_not_publish"
	GroundsOverduePublication ObjectionGrounds = "overdue_publication"
	GroundsInconsistent       ObjectionGrounds = "inconsistent"
)

// Label returns the Chinese description of the grounds, or "" for unknown grounds.
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
	}
	return ""
}

// ObjectionCommitmentData is the content of the 异议申诉信用承诺书.
type ObjectionCommitmentData struct {
	Recipient           string
	EnterpriseName      string
	USCC                string
	LegalRepresentative string
	DecisionNo          string // the decision behind the record objected to
	Grounds             ObjectionGrounds
	SignedOnline        bool
	Date                time.Time
	VerifyCode          string
	VerifyURL           string
}

// ObjectionCommitment builds the 异议申诉信用承诺书.
func ObjectionCommitment(d ObjectionCommitmentData) Letter {
	l := Letter{
		Kind: KindObjectionCommitment, Title: DefaultTitle(KindObjectionCommitment), Addressee: d.Recipient,
		Issuer: d.EnterpriseName, Date: d.Date, VerifyCode: d.VerifyCode, VerifyURL: d.VerifyURL,
		Signatures: []string{"法定代表人（签字）"},
	}
	l.Paragraphs = []string{
		"本单位对下列行政处罚决定的相关公示信息提出异议申诉。",
	}
	l.Notes = []string{
		"本单位郑重承诺：",
		"一、本单位提交的异议申请及证明材料全部真实、准确、完整、有效，不存在伪造、变造或者隐瞒事实的情形。",
		"二、本单位不以提出异议为由拖延、规避履行法定义务，并配合认定部门核查。",
		"三、本单位如提供虚假材料或者作出虚假承诺，自愿承担相应的法律责任，并同意将相关情况记入信用记录、向社会公示。",
	}
	l.Facts = []Fact{
		{Label: "承诺主体", Value: d.EnterpriseName},
		{Label: "统一社会信用代码", Value: d.USCC},
		{Label: "法定代表人", Value: d.LegalRepresentative},
		{Label: "行政处罚决定书文号", Value: d.DecisionNo},
		{Label: "异议理由", Value: or(d.Grounds.Label(), "—")},
	}
	if d.SignedOnline {
		l.Notes = append(l.Notes, signedOnline(d.Date))
	}
	l.Closing = "特此承诺。"
	return l
}

// ObjectionOutcome is how an objection was resolved (API values).
type ObjectionOutcome string

// Objection outcomes.
const (
	OutcomeCorrected ObjectionOutcome = "corrected"
	OutcomeWithdrawn ObjectionOutcome = "withdrawn"
	OutcomeUpheld    ObjectionOutcome = "upheld"
)

// Label returns the Chinese name of the outcome, or "" for an unknown one.
func (o ObjectionOutcome) Label() string {
	switch o {
	case OutcomeCorrected:
		return "异议成立，予以更正"
	case OutcomeWithdrawn:
		return "异议成立，予以删除（终止公示）"
	case OutcomeUpheld:
		return "异议不成立，维持原信息"
	}
	return ""
}

// ObjectionResultData is the content of a 异议处理结果告知书.
type ObjectionResultData struct {
	Issue
	ApplicationRef
	DecisionNo          string
	Grounds             ObjectionGrounds
	Outcome             ObjectionOutcome
	Reason              string
	Corrections         string // what was corrected (corrected only)
	ReconsiderationBody string
}

// ObjectionResult builds the 异议处理结果告知书.
func ObjectionResult(d ObjectionResultData) Letter {
	l := d.letter(KindObjectionResult)
	l.Addressee = d.EnterpriseName
	first := d.received("异议申请") + "你单位以“" + or(d.Grounds.Label(), "信息有误") + "”为由，对行政处罚决定（" +
		d.DecisionNo + "）相关公示信息提出异议。经核查，"
	reason := strings.TrimSuffix(d.Reason, "。")
	var more []string
	switch d.Outcome {
	case OutcomeCorrected:
		first += or(reason, "你单位异议成立") + "，本机关已对相关信息予以更正。"
		if d.Corrections != "" {
			more = append(more, "更正内容："+strings.TrimSuffix(d.Corrections, "。")+"。")
		}
		more = append(more, "更正后的信息将同步推送至各公示渠道。")
	case OutcomeWithdrawn:
		first += or(reason, "你单位异议成立") + "，本机关决定删除该信息并终止公示，各公示渠道将同步撤下。"
	default:
		first += or(reason, "公示信息与本机关作出的决定一致") + "，你单位异议不成立，维持原公示信息。"
		more = append(more, remedy(d.ReconsiderationBody))
	}
	l.Paragraphs = append([]string{first}, more...)
	l.Paragraphs = append(l.Paragraphs, "异议处理期间对该信息所作的“异议处理中”标注已经撤除。")
	l.Facts = append(d.facts(d.DecisionNo),
		Fact{Label: "异议理由", Value: or(d.Grounds.Label(), "—")},
		Fact{Label: "处理结果", Value: or(d.Outcome.Label(), "—")},
	)
	l.Closing = "特此告知。"
	return l
}

// TrainingCertificateData is the content of a 信用修复培训证明.
type TrainingCertificateData struct {
	Issue
	EnterpriseName string
	USCC           string
	Attendee       string
	AttendeeRole   string // 法定代表人, 主要负责人
	TrainingTitle  string
	StartsAt       time.Time
	EndsAt         time.Time
	Venue          string
	ClassHours     int
	Agency         string // the credit service agency that ran the session
	Score          int
	PassScore      int
}

// TrainingCertificate builds the 信用修复培训证明 for an enterprise that attended and passed the test.
func TrainingCertificate(d TrainingCertificateData) Letter {
	l := d.letter(KindTrainingCertificate)
	when := FormatDate(d.StartsAt)
	if !d.EndsAt.IsZero() && FormatDate(d.EndsAt) != when {
		when += "至" + FormatDate(d.EndsAt)
	}
	by := d.Issuer + "组织"
	if d.Agency != "" {
		by += "、" + d.Agency + "承办"
	}
	l.Paragraphs = []string{
		fmt.Sprintf("兹证明%s%s%s于%s参加了%s的“%s”，完成全部%d学时的培训课程，经考试考核合格，准予结业。",
			subject(d.EnterpriseName, d.USCC), d.AttendeeRole, d.Attendee, when, by,
			or(d.TrainingTitle, "信用修复专题培训"), d.ClassHours),
		"本证明可以作为该单位申请信用修复的材料使用。",
	}
	l.Facts = []Fact{
		{Label: "单位名称", Value: d.EnterpriseName},
		{Label: "统一社会信用代码", Value: d.USCC},
		{Label: "参训人员", Value: strings.TrimSpace(d.Attendee + "　" + d.AttendeeRole)},
		{Label: "培训名称", Value: or(d.TrainingTitle, "信用修复专题培训")},
		{Label: "培训时间", Value: when},
		{Label: "培训地点", Value: d.Venue},
		{Label: "培训学时", Value: strconv.Itoa(d.ClassHours) + "学时"},
		{Label: "考试成绩", Value: fmt.Sprintf("%d分（合格线%d分）", d.Score, d.PassScore)},
	}
	l.Closing = "特此证明。"
	return l
}

// RevocationDecisionData is the content of a 撤销信用修复决定书 (fraud found after a repair).
type RevocationDecisionData struct {
	Issue
	EnterpriseName      string
	USCC                string
	DecisionNo          string // the penalty decision whose record was repaired
	RepairDecisionNo    string // the repair decision being revoked
	Reason              string // the fraud found
	ReconsiderationBody string
}

// RevocationDecision builds the 撤销信用修复决定书.
func RevocationDecision(d RevocationDecisionData) Letter {
	l := d.letter(KindRevocationDecision)
	l.Addressee = d.EnterpriseName
	l.Paragraphs = []string{
		"经查，你单位在申请信用修复过程中" + strings.TrimSuffix(or(d.Reason, "提供虚假材料、作出虚假承诺"), "。") +
			"。根据《信用修复管理办法》，本机关决定撤销准予信用修复决定（" + d.RepairDecisionNo + "），" +
			"恢复公示行政处罚决定（" + d.DecisionNo + "）相关信息。",
		"你单位提供虚假材料、作出虚假承诺的行为将记入信用记录，公示期为三年，不得提前修复；" +
			"原失信信息自本决定作出之日起三年内不予修复。",
		remedy(d.ReconsiderationBody),
	}
	l.Facts = []Fact{
		{Label: "信用主体", Value: d.EnterpriseName},
		{Label: "统一社会信用代码", Value: d.USCC},
		{Label: "行政处罚决定书文号", Value: d.DecisionNo},
		{Label: "被撤销的修复决定", Value: d.RepairDecisionNo},
		{Label: "决定结果", Value: "撤销信用修复，恢复公示"},
	}
	l.Closing = "特此决定。"
	return l
}
