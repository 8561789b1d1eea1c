package letters

import (
	"xinyong/domain"

	"strings"
	"time"
)

// Names with characters that Arphic fonts print blank; every fixture uses them.
const (
	rareEnterprise = "福州燊堃喆昇啰贸易有限公司"
	rareUSCC       = "91350100M000100Y43"
	rarePerson     = "林燊堃"
	rareDept       = "福州市喆昇区市场监督管理局"
	creditOffice   = "福州市发展和改革委员会（福州市社会信用体系建设领导小组办公室）"
)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

// long returns a sentence that wraps several times and mixes Chinese punctuation, digits, an ASCII
// word and a rare character, so line breaks land next to every kind of character.
func long(topic string) string {
	return topic + "：经核查，该单位已于2026年4月15日缴清罚款人民币50,000元（缴款凭证编号PAY-2026-000123），" +
		"并于2026年5月8日完成整改；“信用中国（福建福州）”网站、国家企业信用信息公示系统（福建）及部门网站均已公示该信息。" +
		"企业法定代表人" + rarePerson + "表示将严格落实主体责任，建立健全内部合规管理制度，杜绝同类违法行为再次发生；" +
		"相关材料详见https://xinyong.example.gov.cn/cases/2026/000123。"
}

func issue(issuer, number string) Issue {
	return Issue{
		Issuer: issuer, Number: number, Date: day(2026, 6, 1),
		VerifyCode: "AC3D-EF4G-HJKM", VerifyURL: "https://xinyong.example.gov.cn/verify/AC3D-EF4G-HJKM",
	}
}

func app() ApplicationRef {
	return ApplicationRef{EnterpriseName: rareEnterprise, USCC: rareUSCC, ApplicationNo: "XF-2026-000123", ReceivedOn: day(2026, 5, 20)}
}

var channels = []string{"信用中国", "信用中国（福建福州）", "国家企业信用信息公示系统（福建）", rareDept + "门户网站"}

// fixtures builds one letter of every kind through its builder.
func fixtures() map[Kind]Letter {
	repairDecision := RepairDecisionData{
		Issue: issue(rareDept, "榕喆市监信修决〔2026〕7号"), ApplicationRef: app(),
		DecisionNo: "榕喆市监罚〔2026〕88号", RecordTitle: "行政处罚信息", Channels: channels,
		Reason: long("审核意见"), ReconsiderationBody: "福州市市场监督管理局",
	}
	refused := repairDecision
	refused.Number = "榕喆市监信修决〔2026〕8号"
	return map[Kind]Letter{
		KindRepairNotice: RepairNotice(RepairNoticeData{
			Issue: issue(rareDept, "榕喆市监信修告〔2026〕12号"), EnterpriseName: rareEnterprise, USCC: rareUSCC,
			DecisionNo: "榕喆市监罚〔2026〕88号", DecidedOn: day(2026, 4, 1), ClassLabel: "一般",
			Channels: channels, PublicationMin: "3个月", PublicationMax: "1年",
			PublicationEnds: day(2027, 4, 1), RepairEligibleFrom: day(2026, 7, 1),
			Conditions:  append(DefaultRepairConditions(), long("地方要求")),
			ApplyOnline: "信用中国（福建福州）网站“信用修复”栏目", ApplyWindow: "福州市行政服务中心信用修复窗口",
			AcceptWorkingDays: 3, DecideWorkingDays: 7, Contact: "喆昇区市场监督管理局信用监管科，0591-88888888",
		}),
		KindDeliveryReceipt: DeliveryReceipt(DeliveryReceiptData{
			Issue: issue(rareDept, "榕喆市监送〔2026〕88号"), Recipient: rareEnterprise, USCC: rareUSCC,
			Documents: []ReceiptDocument{
				{Name: "行政处罚决定书", Number: "榕喆市监罚〔2026〕88号"},
				{Name: "信用修复告知书", Number: "榕喆市监信修告〔2026〕12号"},
			},
			Address: "福州市鼓楼区五四路燊堃大厦18层", Method: domain.DeliveryInPerson,
			Servers: []string{"王喆", "陈昇"}, Remarks: long("备注"),
		}),
		KindCommitment: Commitment(CommitmentData{
			Recipient: rareDept, EnterpriseName: rareEnterprise, USCC: rareUSCC, LegalRepresentative: rarePerson,
			DecisionNo: "榕喆市监罚〔2026〕88号", SignedOnline: true, Date: day(2026, 5, 20),
			VerifyCode: "AC3D-EF4G-HJKM", VerifyURL: "https://xinyong.example.gov.cn/verify/AC3D-EF4G-HJKM",
		}),
		KindSupplementNotice: SupplementNotice(SupplementNoticeData{
			Issue: issue(rareDept, "榕喆市监补〔2026〕3号"), ApplicationRef: app(), DecisionNo: "榕喆市监罚〔2026〕88号",
			Items: []string{"罚款缴纳凭证（加盖银行业务章）", "整改完成情况报告及现场照片", long("其他材料")},
			DueOn: day(2026, 6, 10), SubmitVia: "信用修复协同平台", Contact: "0591-88888888",
		}),
		KindNotAccepted: NotAccepted(NotAcceptedData{
			Issue: issue(rareDept, "榕喆市监不受〔2026〕2号"), ApplicationRef: app(), DecisionNo: "榕喆市监罚〔2026〕88号",
			Reason: long("不予受理理由"), ReconsiderationBody: "福州市市场监督管理局",
		}),
		KindRepairApproved: RepairApproved(repairDecision),
		KindRepairRefused:  RepairRefused(refused),
		KindWithdrawalNotice: WithdrawalNotice(WithdrawalNoticeData{
			Issue: issue(creditOffice, "榕信用函〔2026〕21号"), EnterpriseName: rareEnterprise, USCC: rareUSCC,
			RecordTitle: "行政处罚信息", DecisionNo: "榕喆市监罚〔2026〕88号", Cause: domain.CauseRepair,
			CauseDecision: "准予信用修复决定书，榕喆市监信修决〔2026〕7号",
			Channels: []ChannelLine{
				{Name: "信用中国", Kind: "国家平台", DueOn: day(2026, 6, 4)},
				{Name: "国家企业信用信息公示系统（福建）", Kind: "国家平台", DueOn: day(2026, 6, 4)},
				{Name: "信用中国（福建福州）", Kind: "地方站点", DueOn: day(2026, 6, 4)},
				{Name: rareDept + "门户网站", Kind: "部门网站", DueOn: day(2026, 6, 4)},
				{Name: "启信宝（上海喆昇信息技术有限公司）", Kind: "第三方信用服务机构", DueOn: day(2026, 6, 4)},
			},
			Contact: "市信用办，0591-87777777",
		}),
		KindRectificationNotice: RectificationNotice(RectificationNoticeData{
			Issue: issue(rareDept, "榕喆市监整〔2026〕5号"), ApplicationRef: app(), DecisionNo: "榕喆市监罚〔2026〕88号",
			Requirements: []string{"完善食品进货查验记录制度", long("整改要求")}, DueOn: day(2026, 6, 30),
		}),
		KindWarningInterview: WarningInterview(WarningInterviewData{
			Issue: issue(rareDept, "榕喆市监约〔2026〕1号"), EnterpriseName: rareEnterprise, USCC: rareUSCC,
			DecisionNo: "榕喆市监罚〔2026〕88号", HeldOn: day(2026, 7, 2), Place: "喆昇区市场监督管理局三楼会议室",
			Interviewee: rarePerson, IntervieweeRole: "法定代表人", Interviewers: []string{"王喆", "陈昇"}, Recorder: "李啰",
			Notes: long("约谈内容") + "\n" + long("指出问题"), Undertakings: long("整改承诺"),
		}),
		KindExtensionNotice: ExtensionNotice(ExtensionNoticeData{
			Issue: issue(rareDept, "榕喆市监延〔2026〕4号"), ApplicationRef: app(), Procedure: "信用修复申请",
			Reason: long("延期原因"), ExtraWorkingDays: 10, OriginalDue: day(2026, 6, 8), NewDue: day(2026, 6, 22),
		}),
		KindObjectionCommitment: ObjectionCommitment(ObjectionCommitmentData{
			Recipient: creditOffice, EnterpriseName: rareEnterprise, USCC: rareUSCC, LegalRepresentative: rarePerson,
			DecisionNo: "榕喆市监罚〔2026〕88号", Grounds: domain.GroundsWrongContent, SignedOnline: true, Date: day(2026, 5, 20),
			VerifyCode: "AC3D-EF4G-HJKM", VerifyURL: "https://xinyong.example.gov.cn/verify/AC3D-EF4G-HJKM",
		}),
		KindObjectionResult: ObjectionResult(ObjectionResultData{
			Issue: issue(rareDept, "榕喆市监异〔2026〕9号"), ApplicationRef: app(), DecisionNo: "榕喆市监罚〔2026〕88号",
			Grounds: domain.GroundsWrongContent, Outcome: domain.OutcomeCorrected, Reason: long("核查结论"),
			Corrections: "处罚金额由“5,000,000元”更正为“50,000元”",
		}),
		KindTrainingCertificate: TrainingCertificate(TrainingCertificateData{
			Issue: issue(creditOffice, "榕信用培〔2026〕第0456号"), EnterpriseName: rareEnterprise, USCC: rareUSCC,
			Attendee: rarePerson, AttendeeRole: "法定代表人", TrainingTitle: "2026年第二期信用修复专题培训",
			StartsAt: day(2026, 5, 28), EndsAt: day(2026, 5, 28), Venue: "福州市行政服务中心燊堃报告厅",
			ClassHours: 4, Agency: "福建喆昇信用服务有限公司", Score: 92, PassScore: 60,
		}),
		KindTrainingPlan: TrainingPlan(TrainingPlanData{
			Issue: issue(creditOffice, "信修培方〔2026〕12号"), Title: "2026年第二期信用修复专题培训",
			StartsAt: day(2026, 5, 28).Add(9 * time.Hour), EndsAt: day(2026, 5, 28).Add(13 * time.Hour),
			Venue: "福州市行政服务中心燊堃报告厅（啰岭路）", ClassHours: 4, Capacity: 60, Agency: "福建喆昇信用服务有限公司", PassScore: 60,
		}),
		KindRevocationDecision: RevocationDecision(RevocationDecisionData{
			Issue: issue(creditOffice, "榕信用撤〔2026〕1号"), EnterpriseName: rareEnterprise, USCC: rareUSCC,
			DecisionNo: "榕喆市监罚〔2026〕88号", RepairDecisionNo: "榕喆市监信修决〔2026〕7号",
			Reason: long("查明事实"), ReconsiderationBody: "福州市人民政府",
		}),
		KindFraudRecord:       RecordNotice(KindFraudRecord, recordFixture()),
		KindSeriousListNotice: RecordNotice(KindSeriousListNotice, recordFixture()),
		KindListingRemoved:    RecordNotice(KindListingRemoved, recordFixture()),
		KindListingRefused:    RecordNotice(KindListingRefused, recordFixture()),
		KindShieldDecision:    RecordNotice(KindShieldDecision, recordFixture()),
		KindShieldRestored:    RecordNotice(KindShieldRestored, recordFixture()),
		KindActivationCode: ActivationCode(ActivationCodeData{
			Issue: issue(creditOffice, ""), EnterpriseName: rareEnterprise, USCC: rareUSCC, ActivationCode: "ABCD-EFGH-JK23",
			ActivationURL: "https://xinyong.example.cn/activate?uscc=" + rareUSCC, ActivationExpires: day(2026, 7, 1),
			Contact: "信用办窗口 0591-80000000",
		}),
	}
}

// multiPage is a letter long enough for three or more pages, with a table that breaks across pages.
func multiPage() Letter {
	l := fixtures()[KindWithdrawalNotice]
	for i := range 6 {
		l.Paragraphs = append(l.Paragraphs, long("补充说明"+cnNumber(i+1)))
	}
	for i := range 60 {
		l.Table.Rows = append(l.Table.Rows, []string{
			strings.Repeat("9", 1+i%3), "第三方信用服务机构燊堃" + cnNumber(i+1) + "号（渠道名称较长需要在单元格内折行显示）",
			"第三方信用服务机构", "2026年6月4日",
		})
	}
	return l
}
