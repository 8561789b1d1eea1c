package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PenaltyType is a kind of administrative penalty (or listing) carried by a decision.
type PenaltyType string

// The penalty types of the Administrative Penalty Law art. 9, plus the listings that are published like penalties.
const (
	PenaltyWarning             PenaltyType = "warning"              // 警告
	PenaltyCriticism           PenaltyType = "criticism"            // 通报批评
	PenaltyFine                PenaltyType = "fine"                 // 罚款
	PenaltyConfiscation        PenaltyType = "confiscation"         // 没收违法所得、没收非法财物
	PenaltyLicenseSuspension   PenaltyType = "license_suspension"   // 暂扣许可证件
	PenaltyLicenseDowngrade    PenaltyType = "license_downgrade"    // 降低资质等级
	PenaltyLicenseRevocation   PenaltyType = "license_revocation"   // 吊销许可证件
	PenaltyBusinessRestriction PenaltyType = "business_restriction" // 限制开展生产经营活动
	PenaltyClosure             PenaltyType = "closure"              // 责令关闭
	// PenaltyProductionSuspension (责令停产停业) is apart from closure: SAMR Order 107 art. 8 lets it be repaired
	// after a year once the suspension has ended, while closure can never be repaired early.
	PenaltyProductionSuspension      PenaltyType = "production_suspension"       // 责令停产停业
	PenaltyBusinessLicenseRevocation PenaltyType = "business_license_revocation" // 吊销营业执照
	PenaltyPracticeBan               PenaltyType = "practice_ban"                // 限制从业
	PenaltySeriousList               PenaltyType = "serious_list"                // 列入严重失信主体名单
	PenaltyAbnormalList              PenaltyType = "abnormal_list"               // 列入经营异常名录
	PenaltyOther                     PenaltyType = "other"                       // 其他
)

// PenaltyTypes lists every penalty type.
var PenaltyTypes = []PenaltyType{
	PenaltyWarning, PenaltyCriticism, PenaltyFine, PenaltyConfiscation, PenaltyLicenseSuspension,
	PenaltyLicenseDowngrade, PenaltyLicenseRevocation, PenaltyBusinessRestriction, PenaltyClosure,
	PenaltyPracticeBan, PenaltySeriousList, PenaltyAbnormalList, PenaltyOther,
	PenaltyProductionSuspension, PenaltyBusinessLicenseRevocation,
}

// Valid reports whether t is a defined penalty type.
func (t PenaltyType) Valid() bool { return slices.Contains(PenaltyTypes, t) }

// Label returns the Chinese name of the penalty type.
func (t PenaltyType) Label() string {
	switch t {
	case PenaltyWarning:
		return "警告"
	case PenaltyCriticism:
		return "通报批评"
	case PenaltyFine:
		return "罚款"
	case PenaltyConfiscation:
		return "没收违法所得、没收非法财物"
	case PenaltyLicenseSuspension:
		return "暂扣许可证件"
	case PenaltyLicenseDowngrade:
		return "降低资质等级"
	case PenaltyLicenseRevocation:
		return "吊销许可证件"
	case PenaltyBusinessRestriction:
		return "限制开展生产经营活动"
	case PenaltyClosure:
		return "责令关闭"
	case PenaltyProductionSuspension:
		return "责令停产停业"
	case PenaltyBusinessLicenseRevocation:
		return "吊销营业执照"
	case PenaltyPracticeBan:
		return "限制从业"
	case PenaltySeriousList:
		return "列入严重失信主体名单"
	case PenaltyAbnormalList:
		return "列入经营异常名录"
	case PenaltyOther:
		return "其他行政处罚"
	}
	return string(t)
}

// typeClass is the class a penalty type implies by itself (fines depend on the amount and are handled apart).
// Types not listed ("other") are general: heavier than a warning, and nothing says they are serious.
var typeClass = map[PenaltyType]Class{
	PenaltyWarning:                   ClassMinor,
	PenaltyCriticism:                 ClassMinor,
	PenaltyAbnormalList:              ClassMinor,
	PenaltyConfiscation:              ClassGeneral,
	PenaltyOther:                     ClassGeneral,
	PenaltyLicenseSuspension:         ClassSerious,
	PenaltyLicenseDowngrade:          ClassSerious,
	PenaltyLicenseRevocation:         ClassSerious,
	PenaltyBusinessRestriction:       ClassSerious,
	PenaltyClosure:                   ClassSerious,
	PenaltyPracticeBan:               ClassSerious,
	PenaltyProductionSuspension:      ClassSerious,
	PenaltyBusinessLicenseRevocation: ClassSerious,
	PenaltySeriousList:               ClassSerious,
}

// RegulatedField is the field of market supervision a decision concerns. SAMR Order 107 art. 8 makes a penalty in
// some fields serious whatever its amount; "" means none of them.
type RegulatedField string

// The fields SAMR Order 107 art. 8 names.
const (
	FieldFood                 RegulatedField = "food"                   // 食品
	FieldDrug                 RegulatedField = "drug"                   // 药品
	FieldMedicalDevice        RegulatedField = "medical_device"         // 医疗器械
	FieldCosmetics            RegulatedField = "cosmetics"              // 化妆品
	FieldSpecialEquipment     RegulatedField = "special_equipment"      // 特种设备
	FieldKeyIndustrialProduct RegulatedField = "key_industrial_product" // 重点工业产品
)

// RegulatedFields lists every field.
var RegulatedFields = []RegulatedField{FieldFood, FieldDrug, FieldMedicalDevice, FieldCosmetics, FieldSpecialEquipment,
	FieldKeyIndustrialProduct}

// Valid reports whether f is "" or a defined field.
func (f RegulatedField) Valid() bool { return f == "" || slices.Contains(RegulatedFields, f) }

// Label returns the Chinese name of the field.
func (f RegulatedField) Label() string {
	switch f {
	case FieldFood:
		return "食品"
	case FieldDrug:
		return "药品"
	case FieldMedicalDevice:
		return "医疗器械"
	case FieldCosmetics:
		return "化妆品"
	case FieldSpecialEquipment:
		return "特种设备"
	case FieldKeyIndustrialProduct:
		return "重点工业产品"
	case "":
		return "其他领域"
	}
	return string(f)
}

// Discretion is the tier of the penalty discretion standard (行政处罚裁量基准) the fine was set under. SAMR Order 107
// art. 7 ¶3 counts a fine as "较低数额" only under the lighter or mitigated tier.
type Discretion string

// The discretion tiers.
const (
	DiscretionLighter   Discretion = "lighter"   // 从轻
	DiscretionMitigated Discretion = "mitigated" // 减轻
	DiscretionNormal    Discretion = "normal"    // 一般
	DiscretionHeavier   Discretion = "heavier"   // 从重
)

// Discretions lists every tier.
var Discretions = []Discretion{DiscretionLighter, DiscretionMitigated, DiscretionNormal, DiscretionHeavier}

// Valid reports whether d is "" (not stated) or a defined tier.
func (d Discretion) Valid() bool { return d == "" || slices.Contains(Discretions, d) }

// Label returns the Chinese name of the tier.
func (d Discretion) Label() string {
	switch d {
	case DiscretionLighter:
		return "从轻处罚"
	case DiscretionMitigated:
		return "减轻处罚"
	case DiscretionNormal:
		return "一般处罚"
	case DiscretionHeavier:
		return "从重处罚"
	case "":
		return "未注明裁量等级"
	}
	return string(d)
}

// heavierTypes are the penalty types the SAMR 严重违法失信名单 rules count as 较重行政处罚 by themselves; a fine is
// heavier only under the heavier discretion tier.
var heavierTypes = []PenaltyType{PenaltyLicenseDowngrade, PenaltyLicenseRevocation, PenaltyBusinessLicenseRevocation,
	PenaltyBusinessRestriction, PenaltyProductionSuspension, PenaltyClosure, PenaltyPracticeBan}

// IsHeavierPenalty reports whether a decision is a 较重行政处罚 (SAMR Order 107 art. 13: an entry of the serious
// list is repaired only if no such penalty followed): a fine set under the heavier tier, or one of heavierTypes.
func IsHeavierPenalty(types []PenaltyType, discretion Discretion) bool {
	for _, t := range types {
		if slices.Contains(heavierTypes, t) || (t == PenaltyFine && discretion == DiscretionHeavier) {
			return true
		}
	}
	return false
}

// PenaltyInput is what a decision says that matters for its publication.
type PenaltyInput struct {
	Types []PenaltyType
	// FineFen is the fine in fen (0.01 yuan), so amounts are exact; 0 when there is no fine.
	FineFen int64
	// Class is the department's own classification; "" lets the rules derive it.
	Class Class
	// DurationMonths is the penalty's own duration (a 6-month suspension), 0 if none.
	DurationMonths int
	DecidedOn      Date
	// PublishedOn is when the record was published; rule sets that count periods from publication (SAMR Order 45
	// art. 13) use it, and fall back to the decision date until it is known.
	PublishedOn Date
	// Summary says the decision was made by summary procedure (简易程序).
	Summary bool
	// PublishMinor says the department decided to publish a minor record (NDRC Order 36 art. 12: at most 3 months).
	PublishMinor bool
	// RegulatedField and Discretion feed the field-based classification (SAMR Order 107 arts. 7-8).
	RegulatedField RegulatedField
	Discretion     Discretion
	// Sector is the deciding department's sector; when set, it must agree with a sector-specific rule set.
	Sector string
}

// Publication is the outcome for one decision: its class, whether and how long it is published, and when repair
// may be asked.
type Publication struct {
	Class     Class `json:"class"`
	Published bool  `json:"published"`
	// MinPublishMonths and MaxPublishMonths are the class's periods, for the repair notice.
	MinPublishMonths int `json:"min_publish_months"`
	MaxPublishMonths int `json:"max_publish_months"`
	// PeriodsFrom is the day the periods are counted from (not itself counted): the decision date, or the
	// publication date under a rule set that says so.
	PeriodsFrom Date `json:"periods_from"`
	// RepairEligibleFrom is the first day repair may be asked (see EligibleAfter); for minor records the decision
	// date itself, meaning as soon as the obligations are fulfilled.
	RepairEligibleFrom Date `json:"repair_eligible_from"`
	// PublicationEnds is the last day of publication: the day MaxPublishMonths after PeriodsFrom (Civil Code
	// art. 202: the start day is not counted and the corresponding day of the final month is the last day). The
	// record is withdrawn without an application once this day is over. Never before the end of the penalty's own
	// duration.
	PublicationEnds Date `json:"publication_ends"`
	// AutoEndsWithoutApplication marks a record that stops by itself and needs no repair (samr low fines).
	AutoEndsWithoutApplication bool `json:"auto_ends_without_application"`
	RepairableEarly            bool `json:"repairable_early"`
	RequiresTraining           bool `json:"requires_training"`
	RequiresCreditReport       bool `json:"requires_credit_report"`
	NoNewSamePenaltyRequired   bool `json:"no_new_same_penalty_required"`
	// RuleSetID is the effective set's id (an overlay's own id); RuleSetBase its base, "" for a full set.
	RuleSetID   string `json:"rule_set"`
	RuleSetBase string `json:"rule_set_base,omitempty"`
	// Reasons explain the outcome in Chinese, for the notice and the case page.
	Reasons []string `json:"reasons"`
}

// ComputePublication applies rule set rs (full or resolved, in force on the decision date) to a decision.
// Periods are calendar months from the decision date, or from the publication date where rs counts from it
// (Date.AddMonths); when several penalty types are imposed the most severe class, hence the longest period, applies.
func ComputePublication(rs RuleSet, in PenaltyInput) (Publication, error) {
	if err := checkPenaltyInput(rs, in); err != nil {
		return Publication{}, err
	}
	types := dedupTypes(in.Types)
	derived, reasons := deriveClass(rs, in, types)
	class := derived
	if in.Class != "" {
		class = in.Class
		if in.Class == derived {
			reasons = append(reasons, fmt.Sprintf("认定部门认定为%s失信", class.Label()))
		} else {
			reasons = append(reasons, fmt.Sprintf("认定部门认定为%s失信（按处罚种类推定为%s失信）", class.Label(), derived.Label()))
		}
	}
	start := in.DecidedOn
	if rs.PeriodsFrom == PeriodsFromPublication {
		if !in.PublishedOn.IsZero() {
			start = in.PublishedOn
			reasons = append(reasons, fmt.Sprintf("公示期限自公示之日（%s）起计算", start))
		} else {
			reasons = append(reasons, "公示期限自公示之日起计算；尚未登记公示日期，暂自处罚决定之日起计算")
		}
	}
	rule := rs.Classes[class]
	p := Publication{
		Class:                    class,
		Published:                rule.Published,
		MinPublishMonths:         rule.MinPublishMonths,
		MaxPublishMonths:         rule.MaxPublishMonths,
		PeriodsFrom:              start,
		RepairEligibleFrom:       EligibleAfter(start, rule.MinPublishMonths),
		PublicationEnds:          PeriodEnd(start, rule.MaxPublishMonths),
		RepairableEarly:          rule.RepairableEarly,
		RequiresTraining:         rule.RequiresTraining,
		RequiresCreditReport:     rule.RequiresCreditReport,
		NoNewSamePenaltyRequired: rs.NoNewSamePenaltyRequired,
		RuleSetID:                rs.ID,
		RuleSetBase:              rs.Base,
	}
	special := ""
	switch {
	case in.Summary && rs.SummaryNotPublished:
		p.Published = false
		p.PublicationEnds = in.DecidedOn
		p.RepairEligibleFrom = in.DecidedOn
		special = "适用简易程序作出的行政处罚信息，不予公示"
	case rs.WarningOnlyNotPublished && slices.Equal(types, []PenaltyType{PenaltyWarning}):
		p.Published = false
		p.PublicationEnds = in.DecidedOn
		p.RepairEligibleFrom = in.DecidedOn
		special = "仅受到警告处罚，不予公示"
	case rs.LowFineAutoEndMonths > 0 && class == ClassMinor && lowFineOnly(rs, in, types):
		p.Published = true
		p.AutoEndsWithoutApplication = true
		p.MaxPublishMonths = rs.LowFineAutoEndMonths
		p.PublicationEnds = start.AddMonths(rs.LowFineAutoEndMonths)
		special = fmt.Sprintf("仅受到通报批评或较低数额罚款（%s，不超过%s元），公示满%d个月自动停止公示，无需申请",
			lowFineTiers(rs), strconv.FormatInt(rs.LowFineMaxYuan, 10), rs.LowFineAutoEndMonths)
	case class == ClassMinor && !rule.Published && in.PublishMinor && rs.MinorPublishOnDecision:
		p.Published = true
		special = fmt.Sprintf("认定部门决定公示该轻微失信信息，公示期最长%d个月，履行法定义务后即可申请信用修复", p.MaxPublishMonths)
	}
	blocking := notRepairableTypes(rs, types)
	if len(blocking) > 0 && p.Published {
		p.RepairableEarly = false
	}
	if !p.RepairableEarly {
		// Nothing can end publication early, so repair becomes possible only once publication is over anyway.
		p.RepairEligibleFrom = p.PublicationEnds.AddDays(1)
	}

	switch {
	case special != "":
		reasons = append(reasons, special)
	case !p.Published:
		reasons = append(reasons, fmt.Sprintf("%s失信信息原则上不公示；如公示，最长%d个月", class.Label(), p.MaxPublishMonths))
	case !p.RepairableEarly:
		why := ""
		if len(blocking) > 0 {
			names := make([]string, len(blocking))
			for i, t := range blocking {
				names[i] = t.Label()
			}
			why = strings.Join(names, "、") + "的，"
		}
		reasons = append(reasons, fmt.Sprintf("%s失信信息公示%d个月，%s不得提前修复", class.Label(), p.MaxPublishMonths, why))
	default:
		reasons = append(reasons, fmt.Sprintf("%s失信信息最长公示%d个月，%s可申请信用修复", class.Label(),
			p.MaxPublishMonths, minPeriodText(p.MinPublishMonths, start != in.DecidedOn || rs.PeriodsFrom == PeriodsFromPublication)))
	}

	if in.DurationMonths > 0 {
		// The penalty's own duration ends with end; repair may be asked from the day after (as for the periods).
		end := PeriodEnd(in.DecidedOn, in.DurationMonths)
		if end.After(p.PublicationEnds) || !end.Before(p.RepairEligibleFrom) {
			reasons = append(reasons, fmt.Sprintf("处罚期限%d个月（至%s）届满前不得撤下公示或修复", in.DurationMonths, end))
		}
		p.PublicationEnds = MaxDate(p.PublicationEnds, end)
		p.RepairEligibleFrom = MaxDate(p.RepairEligibleFrom, end.AddDays(1))
	}
	p.Reasons = reasons
	return p, nil
}

// EligibleAfter is the first day repair may be asked when a minimum period of months runs from start: the day after
// the period's last day. NDRC Order 36 art. 12 and SAMR Order 107 art. 11 allow an application once the period has
// run out (届满后), and by Civil Code arts. 201-202 the start day is not counted and the last day is the
// corresponding day of the final month: decided 2026-04-15, a 3-month period ends with 2026-07-15, so repair may be
// asked from 2026-07-16. With no minimum period (minor records) it is start itself: as soon as the obligations are
// fulfilled.
func EligibleAfter(start Date, months int) Date {
	if months <= 0 {
		return start
	}
	return PeriodEnd(start, months).AddDays(1)
}

// PeriodEnd is the last day of a period of months running from start (Civil Code art. 202; a day missing from the
// final month is its last day).
func PeriodEnd(start Date, months int) Date { return start.AddMonths(months) }

func minPeriodText(months int, fromPublication bool) string {
	if months == 0 {
		return "履行法定义务后即"
	}
	if fromPublication {
		return fmt.Sprintf("自公示之日起满%d个月后", months)
	}
	return fmt.Sprintf("自决定之日起满%d个月后", months)
}

// notRepairableTypes returns the decision's types that rs says can never be repaired early.
func notRepairableTypes(rs RuleSet, types []PenaltyType) []PenaltyType {
	var out []PenaltyType
	for _, t := range types {
		if slices.Contains(rs.NotRepairableTypes, t) || (rs.LicenseRevocationNotRepairable && t == PenaltyLicenseRevocation) {
			out = append(out, t)
		}
	}
	return out
}

// lowFine reports whether the fine counts as 较低数额 under rs: within the limit and, where rs names discretion
// tiers (SAMR Order 107 art. 7 ¶3), set under one of them.
func lowFine(rs RuleSet, in PenaltyInput) bool {
	if in.FineFen > rs.LowFineMaxYuan*100 {
		return false
	}
	return len(rs.LowFineDiscretion) == 0 || slices.Contains(rs.LowFineDiscretion, in.Discretion)
}

func lowFineTiers(rs RuleSet) string {
	if len(rs.LowFineDiscretion) == 0 {
		return "不论裁量等级"
	}
	names := make([]string, len(rs.LowFineDiscretion))
	for i, d := range rs.LowFineDiscretion {
		names[i] = d.Label()
	}
	return "依" + strings.Join(names, "或") + "裁量"
}

// lowFineOnly reports whether the decision is only criticism and/or a low fine (a warning alongside does not change
// that).
func lowFineOnly(rs RuleSet, in PenaltyInput, types []PenaltyType) bool {
	hasCriticismOrFine := false
	for _, t := range types {
		switch t {
		case PenaltyCriticism:
			hasCriticismOrFine = true
		case PenaltyFine:
			if !lowFine(rs, in) {
				return false
			}
			hasCriticismOrFine = true
		case PenaltyWarning:
		default:
			return false
		}
	}
	return hasCriticismOrFine
}

// typeClassIn is the class penalty type t implies under rs: the set's own table first, then the default one.
func typeClassIn(rs RuleSet, t PenaltyType) Class {
	if c, ok := rs.TypeClasses[t]; ok {
		return c
	}
	return typeClass[t]
}

// deriveClass returns the class the decision implies and why.
func deriveClass(rs RuleSet, in PenaltyInput, types []PenaltyType) (Class, []string) {
	if in.Summary {
		return ClassMinor, []string{"适用简易程序作出的行政处罚，属轻微失信"}
	}
	byField := rs.Classification == ClassifyByField
	class := ClassMinor
	var reasons []string
	for _, t := range types {
		c := typeClassIn(rs, t)
		var why string
		switch {
		case t == PenaltyFine && byField:
			c, why = fineClassByDiscretion(rs, in)
		case t == PenaltyFine:
			c, why = fineClass(rs, in.FineFen)
		default:
			why = fmt.Sprintf("%s，属%s失信", t.Label(), c.Label())
		}
		reasons = append(reasons, why)
		if c.rank() > class.rank() {
			class = c
		}
	}
	if len(types) > 1 {
		reasons = append(reasons, fmt.Sprintf("多种处罚并处的，从重认定为%s失信", class.Label()))
	}
	if byField && class == ClassGeneral && in.RegulatedField != "" && slices.Contains(rs.SeriousFields, in.RegulatedField) {
		class = ClassSerious
		reasons = append(reasons, fmt.Sprintf("属%s领域的违法行为，受到通报批评、较低数额罚款以外的行政处罚，属严重失信", in.RegulatedField.Label()))
	}
	return class, reasons
}

// fineClassByDiscretion classifies a fine without regard to its size beyond the low-fine limit (SAMR Order 107:
// never serious by amount).
func fineClassByDiscretion(rs RuleSet, in PenaltyInput) (Class, string) {
	amount := yuan(in.FineFen)
	if rs.LowFineMaxYuan > 0 && lowFine(rs, in) {
		return ClassMinor, fmt.Sprintf("罚款%s元（%s），属较低数额罚款，属轻微失信", amount, in.Discretion.Label())
	}
	return ClassGeneral, fmt.Sprintf("罚款%s元（%s），属一般失信", amount, in.Discretion.Label())
}

func fineClass(rs RuleSet, fen int64) (Class, string) {
	amount := yuan(fen)
	switch {
	case fen >= rs.Fines.SeriousMinYuan*100:
		return ClassSerious, fmt.Sprintf("罚款%s元，达到%s元以上，属严重失信", amount, strconv.FormatInt(rs.Fines.SeriousMinYuan, 10))
	case fen <= rs.Fines.MinorMaxYuan*100:
		return ClassMinor, fmt.Sprintf("罚款%s元，不超过%s元，属轻微失信", amount, strconv.FormatInt(rs.Fines.MinorMaxYuan, 10))
	default:
		return ClassGeneral, fmt.Sprintf("罚款%s元，属一般失信", amount)
	}
}

// yuan formats an amount in fen as yuan, with decimals only when there are any.
func yuan(fen int64) string {
	s := strconv.FormatInt(fen/100, 10)
	if f := fen % 100; f != 0 {
		s += fmt.Sprintf(".%02d", f)
		if s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
	}
	return s
}

func dedupTypes(types []PenaltyType) []PenaltyType {
	out := make([]PenaltyType, 0, len(types))
	for _, t := range types {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func checkPenaltyInput(rs RuleSet, in PenaltyInput) error {
	bad := func(field, code, msg string) error { return &InputError{Field: field, Code: code, Message: msg} }
	for _, c := range Classes {
		if _, ok := rs.Classes[c]; !ok {
			return fmt.Errorf("domain: rule set %q has no parameters for class %s (an unresolved overlay?)", rs.ID, c)
		}
	}
	if in.DecidedOn.IsZero() {
		return bad("decided_on", "invalid_decided_on", "缺少处罚决定日期")
	}
	if in.DecidedOn.Before(rs.EffectiveFrom) {
		return bad("decided_on", "rule_set_not_in_force",
			fmt.Sprintf("处罚决定日期%s早于规则集%s的生效日期%s", in.DecidedOn, rs.ID, rs.EffectiveFrom))
	}
	if in.Sector != "" && rs.Sector != "" && in.Sector != rs.Sector {
		return bad("sector", "rule_set_sector_mismatch",
			fmt.Sprintf("规则集%s适用于“%s”领域，不适用于“%s”领域", rs.ID, rs.Sector, in.Sector))
	}
	if len(in.Types) == 0 {
		return bad("penalty_types", "invalid_penalty_types", "至少应有一种处罚种类")
	}
	for _, t := range in.Types {
		if !t.Valid() {
			return bad("penalty_types", "invalid_penalty_types", fmt.Sprintf("未知的处罚种类“%s”", t))
		}
	}
	hasFine := slices.Contains(in.Types, PenaltyFine)
	switch {
	case in.FineFen < 0:
		return bad("fine_amount_yuan", "invalid_fine_amount", "罚款金额不能为负数")
	case hasFine && in.FineFen == 0:
		return bad("fine_amount_yuan", "invalid_fine_amount", "处罚种类含罚款时，罚款金额应大于0")
	case !hasFine && in.FineFen > 0:
		return bad("fine_amount_yuan", "invalid_fine_amount", "填写了罚款金额，但处罚种类不含罚款")
	}
	if in.Class != "" && !in.Class.Valid() {
		return bad("class", "invalid_class", fmt.Sprintf("未知的失信等级“%s”，应为minor、general或serious", in.Class))
	}
	if in.DurationMonths < 0 || in.DurationMonths > 1200 {
		return bad("duration_months", "invalid_duration", "处罚期限应为0-1200个月")
	}
	if !in.RegulatedField.Valid() {
		return bad("regulated_field", "invalid_regulated_field", fmt.Sprintf("未知的监管领域“%s”，应为food、drug、medical_device、cosmetics、special_equipment、key_industrial_product或留空", in.RegulatedField))
	}
	if !in.Discretion.Valid() {
		return bad("discretion", "invalid_discretion", fmt.Sprintf("未知的裁量等级“%s”，应为lighter（从轻）、mitigated（减轻）、normal（一般）或heavier（从重）", in.Discretion))
	}
	if !in.PublishedOn.IsZero() && in.PublishedOn.Before(in.DecidedOn) {
		return bad("published_on", "published_before_decision", fmt.Sprintf("公示日期%s早于处罚决定日期%s", in.PublishedOn, in.DecidedOn))
	}
	if in.Summary {
		for _, t := range in.Types {
			if t != PenaltyWarning && t != PenaltyFine {
				return bad("penalty_types", "invalid_penalty_types",
					fmt.Sprintf("简易程序只能给予警告或罚款，不能给予%s", t.Label()))
			}
		}
	}
	return nil
}
