package letters

import (
	"xinyong/domain"

	"net/url"
	"strconv"
	"strings"
	"time"
)

// Issue is what every letter carries besides its content: who issues it, its number and date, and
// how to verify it.
type Issue struct {
	// Issuer is the issuing authority (a recognizing department or the credit office). It is printed
	// as the letterhead and above the seal.
	Issuer string
	// Regulation is the regulation of the case's rule set as the letter cites it ("《市场监督管理信用修复管理办法》");
	// empty cites 《信用修复管理办法》.
	Regulation string `json:",omitempty"`
	Number     string // 文号
	Date       time.Time
	VerifyCode string
	VerifyURL  string
}

// The builders below print the texts in texts/<kind>.tmpl with their data as the template's dot; the
// wording lives there, not here. The helpers are the template functions that are more than wording.
//
// The builders are not pure: they read the texts in use, which come from XINYONG_LETTER_TEXTS when it
// is set and change when LoadTexts is called again, and they panic when a text fails. Workflow code
// must therefore never call them; it passes a Content to the activity that issues the letter, which
// calls Build.

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

// formatDateTime prints an instant as letters do, in its own location: 2026年6月10日 09:00.
func formatDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return FormatDate(t) + t.Format(" 15:04")
}

// dateOr prints d, or alt when d is zero.
func dateOr(d time.Time, alt string) string {
	if d.IsZero() {
		return alt
	}
	return FormatDate(d)
}

// DefaultRepairConditions are the national conditions of repair (NDRC Order No. 36), printed when a
// rule set supplies none. The wording is the default_conditions section of repair_notice.tmpl.
func DefaultRepairConditions() []string { return sectionItems(KindRepairNotice, "default_conditions") }

// DefaultRepairMaterials are the materials of a repair application, printed when a rule set supplies
// none. The wording is the default_materials section of repair_notice.tmpl.
func DefaultRepairMaterials() []string { return sectionItems(KindRepairNotice, "default_materials") }

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
	Conditions         []string  // nil or empty: DefaultRepairConditions
	ExtraConditions    []string  // conditions of the rule set, printed after Conditions
	Materials          []string  // nil or empty: DefaultRepairMaterials
	// Unpublished is a record kept in the credit file but not published (a minor record under a rule
	// set that does not publish it): the opening says so instead of announcing the publication.
	Unpublished bool
	// AutoEnds says that publication ends by itself after PublicationMax, with no repair needed.
	AutoEnds bool
	// Basis lists the reasons the record was classed as it is, under RuleSet; printed when present.
	Basis             []string
	RuleSet           string
	ApplyOnline       string // the online service (一网通办)
	ApplyWindow       string // the service window (一窗受理)
	AcceptWorkingDays int    // deadline to accept an application, 0 to omit
	DecideWorkingDays int    // deadline to decide after acceptance, 0 to omit
	Contact           string
	// ActivationCode, for an enterprise without an account, is the one-time code that opens it at
	// ActivationURL until ActivationExpires. The IssueLetter activity fills them, never a workflow: a code
	// is random and only its hash is kept.
	// They stay out of the JSON when empty, so recorded workflow histories replay with unchanged inputs.
	ActivationCode    string    `json:",omitempty"`
	ActivationURL     string    `json:",omitempty"`
	ActivationExpires time.Time `json:",omitzero"`
}

// activationScanCaption is printed beside the activation QR code.
const activationScanCaption = "扫描左侧二维码可直接打开账号激活页面，统一社会信用代码和激活码已自动填写，设置登录密码即可完成激活。"

// scanCode is the activation page with the USCC and the code filled in, for an enterprise without an account.
func (d RepairNoticeData) scanCode() *ScanCode {
	return activationScan(d.ActivationURL, d.ActivationCode)
}

// activationScan is the QR code of an activation letter: ActivationURL with the code as the query's code.
func activationScan(activationURL, code string) *ScanCode {
	if activationURL == "" || code == "" {
		return nil
	}
	return &ScanCode{URL: ActivationLink(activationURL, code), Caption: activationScanCaption}
}

// ActivationLink adds the code to an activation address, so that the page opens with it filled in.
func ActivationLink(activationURL, code string) string {
	u, err := url.Parse(activationURL)
	if err != nil {
		return activationURL
	}
	q := u.Query()
	q.Set("code", code)
	u.RawQuery = q.Encode()
	return u.String()
}

// RepairNotice builds the 信用修复告知书.
func RepairNotice(d RepairNoticeData) Letter { return mustBuild(KindRepairNotice, d) }

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
	Method    domain.DeliveryMethod
	Servers   []string // 送达人
	Witness   string   // 见证人, for a refused delivery
	Remarks   string
}

// DeliveryReceipt builds the 送达回证: a form the recipient signs and dates by hand.
func DeliveryReceipt(d DeliveryReceiptData) Letter { return mustBuild(KindDeliveryReceipt, d) }

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
func Commitment(d CommitmentData) Letter { return mustBuild(KindCommitment, d) }

// ApplicationRef identifies a repair or objection application in a department's reply.
type ApplicationRef struct {
	EnterpriseName string
	USCC           string
	ApplicationNo  string
	ReceivedOn     time.Time
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
func SupplementNotice(d SupplementNoticeData) Letter { return mustBuild(KindSupplementNotice, d) }

// NotAcceptedData is the content of a 不予受理通知书.
type NotAcceptedData struct {
	Issue
	ApplicationRef
	DecisionNo          string
	Reason              string
	ReconsiderationBody string // optional: the body that hears an administrative reconsideration
}

// NotAccepted builds the 不予受理通知书.
func NotAccepted(d NotAcceptedData) Letter { return mustBuild(KindNotAccepted, d) }

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
func RepairApproved(d RepairDecisionData) Letter { return mustBuild(KindRepairApproved, d) }

// RepairRefused builds the 不予信用修复决定书.
func RepairRefused(d RepairDecisionData) Letter { return mustBuild(KindRepairRefused, d) }

// ChannelLine is one publishing channel addressed by a withdrawal letter.
type ChannelLine struct {
	Name  string
	Kind  string // 国家平台, 地方站点, 部门网站, 第三方信用服务机构 …
	DueOn time.Time
	// Provisional: DueOn was counted over days whose holiday notice is not published yet (printed 暂定).
	Provisional bool
}

// AnyProvisional reports whether a channel's deadline is provisional (the letter then explains 暂定).
func (d WithdrawalNoticeData) AnyProvisional() bool {
	for _, c := range d.Channels {
		if c.Provisional {
			return true
		}
	}
	return false
}

// WithdrawalNoticeData is the content of the 告知函 of 一件通用.
type WithdrawalNoticeData struct {
	Issue
	EnterpriseName string
	USCC           string
	RecordTitle    string // the record (行政处罚信息)
	DecisionNo     string // the penalty decision's number
	Cause          domain.WithdrawalCause
	// CauseDecision is the decision behind the withdrawal: a repair decision's number, the date the
	// publication period ended, an objection result, or the revoking ruling.
	CauseDecision string
	Channels      []ChannelLine
	Contact       string
}

// WithdrawalNotice builds the 告知函 addressed to every channel that published the record.
func WithdrawalNotice(d WithdrawalNoticeData) Letter { return mustBuild(KindWithdrawalNotice, d) }

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
	return mustBuild(KindRectificationNotice, d)
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
func WarningInterview(d WarningInterviewData) Letter { return mustBuild(KindWarningInterview, d) }

// ExtensionNoticeData is the content of a 延期告知书, for a repair or an objection.
type ExtensionNoticeData struct {
	Issue
	ApplicationRef
	Procedure        string // 信用修复申请 or 异议申请
	Reason           string
	ExtraWorkingDays int
	OriginalDue      time.Time
	NewDue           time.Time
	// NewDueProvisional: NewDue was counted over days whose holiday notice is not published yet (printed 暂定).
	// A date the department chose is never provisional.
	NewDueProvisional bool
}

// ExtensionNotice builds the 延期告知书, sent before the original deadline passes.
func ExtensionNotice(d ExtensionNoticeData) Letter { return mustBuild(KindExtensionNotice, d) }

// ObjectionCommitmentData is the content of the 异议申诉信用承诺书.
type ObjectionCommitmentData struct {
	Recipient           string
	EnterpriseName      string
	USCC                string
	LegalRepresentative string
	DecisionNo          string // the decision behind the record objected to
	Grounds             domain.ObjectionGrounds
	SignedOnline        bool
	Date                time.Time
	VerifyCode          string
	VerifyURL           string
}

// ObjectionCommitment builds the 异议申诉信用承诺书.
func ObjectionCommitment(d ObjectionCommitmentData) Letter {
	return mustBuild(KindObjectionCommitment, d)
}

// ObjectionResultData is the content of a 异议处理结果告知书.
type ObjectionResultData struct {
	Issue
	ApplicationRef
	DecisionNo          string
	Grounds             domain.ObjectionGrounds
	Outcome             domain.ObjectionOutcome
	Reason              string
	Corrections         string // what was corrected (corrected only)
	ReconsiderationBody string
}

// ObjectionResult builds the 异议处理结果告知书.
func ObjectionResult(d ObjectionResultData) Letter { return mustBuild(KindObjectionResult, d) }

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
	return mustBuild(KindTrainingCertificate, d)
}

// TrainingPlanData is the content of a 信用修复培训方案. Times are printed in their own location (pass them in
// Asia/Shanghai).
type TrainingPlanData struct {
	Issue      // the organizer (the credit office) issues it
	Title      string
	StartsAt   time.Time
	EndsAt     time.Time
	Venue      string
	Online     bool // Venue is the address of an online session
	ClassHours int
	Capacity   int
	Agency     string // the credit service agency that runs the session
	PassScore  int
}

// TrainingPlan builds the 信用修复培训方案.
func TrainingPlan(d TrainingPlanData) Letter { return mustBuild(KindTrainingPlan, d) }

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
func RevocationDecision(d RevocationDecisionData) Letter { return mustBuild(KindRevocationDecision, d) }
