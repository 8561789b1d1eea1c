package domain

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Class is a publication class of an administrative penalty record.
type Class string

// The classes of ndrc-2026 and samr-2025, from least to most severe.
const (
	ClassMinor   Class = "minor"   // 轻微
	ClassGeneral Class = "general" // 一般
	ClassSerious Class = "serious" // 严重
)

// Classes lists every class from least to most severe.
var Classes = []Class{ClassMinor, ClassGeneral, ClassSerious}

// Valid reports whether c is one of the defined classes.
func (c Class) Valid() bool { return c.rank() >= 0 }

func (c Class) rank() int { return slices.Index(Classes, c) }

// Label returns the Chinese name of the class.
func (c Class) Label() string {
	switch c {
	case ClassMinor:
		return "轻微"
	case ClassGeneral:
		return "一般"
	case ClassSerious:
		return "严重"
	}
	return string(c)
}

// ClassRule is what a rule set says about one class.
type ClassRule struct {
	// Published says whether records of this class are published at all (minor ones in principle are not).
	Published bool `json:"published"`
	// MaxPublishMonths is the longest publication, after which the record is withdrawn without an application.
	MaxPublishMonths int `json:"max_publish_months"`
	// MinPublishMonths is how long the record stays before repair may be asked; 0 means once obligations are met.
	MinPublishMonths int `json:"min_publish_months"`
	// RepairableEarly says whether repair may end publication before MaxPublishMonths at all.
	RepairableEarly bool `json:"repairable_early"`
	// RequiresTraining says whether a repair needs a training certificate.
	RequiresTraining bool `json:"requires_training"`
	// RequiresCreditReport says whether a repair needs a credit report from a credit service agency.
	RequiresCreditReport bool `json:"requires_credit_report"`
}

// Deadlines are a rule set's procedure deadlines, all in working days after the triggering event.
type Deadlines struct {
	Acceptance           int `json:"acceptance"`            // department accepts, asks once for every missing item, or refuses
	Decision             int `json:"decision"`              // department decides on repair, from acceptance
	Extension            int `json:"extension"`             // added to Decision for complex cases (inspection, approval)
	Overall              int `json:"overall"`               // result back to the applicant, from receipt
	Forwarding           int `json:"forwarding"`            // credit office forwards an application to the department
	ChannelWithdrawal    int `json:"channel_withdrawal"`    // a channel withdraws the record after the decision
	ObjectionMark        int `json:"objection_mark"`        // channels mark the record "异议处理中"
	ObjectionForward     int `json:"objection_forward"`     // credit office forwards an objection
	ObjectionVerify      int `json:"objection_verify"`      // department verifies and answers an objection
	ObjectionExtension   int `json:"objection_extension"`   // added to ObjectionVerify after telling the applicant
	Delivery             int `json:"delivery"`              // decision and repair notice delivered, unless on the spot
	Publication          int `json:"publication"`           // penalty published on the channels after the decision
	RevocationWithdrawal int `json:"revocation_withdrawal"` // withdrawal after the decision is revoked or changed
	BankruptcyShield     int `json:"bankruptcy_shield"`     // shielding after a court approves a reorganization
}

// FineThresholds classify a fine by its amount, in yuan. They are rule-set parameters because sectors define what a
// small or a huge fine is.
type FineThresholds struct {
	// MinorMaxYuan: a fine up to this amount (with no heavier penalty) is minor.
	MinorMaxYuan int64 `json:"minor_max_yuan"`
	// SeriousMinYuan: a fine of at least this amount is serious.
	SeriousMinYuan int64 `json:"serious_min_yuan"`
}

// RuleSet is one version of the rules: a full set (national, possibly for one sector) or a local overlay that
// changes a few parameters of its base. Rules change by adding a set with a later effective date, never by editing.
type RuleSet struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Jurisdiction  string `json:"jurisdiction"` // "national", or an administrative division code for an overlay
	Sector        string `json:"sector"`       // "" for every sector, or e.g. "market_supervision"
	EffectiveFrom Date   `json:"effective_from"`
	// Base is the id of the set an overlay modifies; "" for a full set.
	Base string `json:"base"`
	// Source names the regulation the set implements.
	Source string `json:"source,omitempty"`
	// Regulation is the regulation's short title as letters cite it ("《信用修复管理办法》"); an overlay cites its
	// base's.
	Regulation string `json:"regulation,omitempty"`
	// Notes record, for people, what the set assumes where the regulation is silent.
	Notes []string `json:"notes,omitempty"`
	// Overrides is an overlay's JSON merge patch (RFC 7386) onto its base's parameters; it holds only what changes.
	Overrides json.RawMessage `json:"overrides,omitempty"`
	// Inactive sets are never selected for a case. An admin activates a set (the shipped example overlay comes
	// inactive: NDRC Order 36 arts. 14-15 allow extra conditions only from laws and rules, so someone must check the
	// local basis first). It is the only thing about a stored set that may change.
	Inactive bool `json:"inactive,omitempty"`

	Classes   map[Class]ClassRule `json:"classes,omitempty"`
	Deadlines Deadlines           `json:"deadlines,omitzero"`
	Fines     FineThresholds      `json:"fines,omitzero"`

	// WarningOnlyNotPublished: a penalty that is only a warning is not published (samr).
	WarningOnlyNotPublished bool `json:"warning_only_not_published,omitzero"`
	// LowFineMaxYuan and LowFineAutoEndMonths: a minor penalty of 通报批评 and/or a fine up to LowFineMaxYuan stops
	// being published by itself after LowFineAutoEndMonths, with no application (samr).
	LowFineMaxYuan       int64 `json:"low_fine_max_yuan,omitzero"`
	LowFineAutoEndMonths int   `json:"low_fine_auto_end_months,omitzero"`
	// NoNewSamePenaltyRequired: repair also requires that no new penalty for the same type of violation (违法行为类型)
	// was imposed since, and for an entry of the serious list that no new 较重 penalty was (SAMR Order 107 arts.
	// 11(3), 13).
	NoNewSamePenaltyRequired bool `json:"no_new_same_penalty_required,omitzero"`
	// LicenseRevocationNotRepairable: a record with a licence revocation cannot be repaired early at all. Kept so
	// that stored sets and overlays naming it still decode; NotRepairableTypes says the same for any type.
	LicenseRevocationNotRepairable bool `json:"license_revocation_not_repairable,omitzero"`
	// NotRepairableTypes are penalty types whose record is published for its full period with no early repair
	// (SAMR Order 107 art. 8 last paragraph).
	NotRepairableTypes []PenaltyType `json:"not_repairable_types,omitempty"`
	// Classification is how a decision's class is derived: ClassifyByAmount ("", fines by Fines) or ClassifyByField
	// (SAMR Order 107 arts. 7-9: serious by regulated field and penalty type, never by the amount of a fine).
	Classification string `json:"classification,omitempty"`
	// SeriousFields are the regulated fields in which any penalty beyond a minor one is serious (ClassifyByField).
	SeriousFields []RegulatedField `json:"serious_fields,omitempty"`
	// TypeClasses overrides the class a penalty type implies by itself (samr: 暂扣许可证件 is general).
	TypeClasses map[PenaltyType]Class `json:"type_classes,omitempty"`
	// LowFineDiscretion are the discretion tiers under which a fine can be "较低数额" (samr: lighter, mitigated);
	// empty means any tier.
	LowFineDiscretion []Discretion `json:"low_fine_discretion,omitempty"`
	// PeriodsFrom is PeriodsFromDecision ("") or PeriodsFromPublication (SAMR Order 45 art. 13: 自公示之日起).
	PeriodsFrom string `json:"periods_from,omitempty"`
	// SummaryNotPublished: penalties by summary procedure are not published (SAMR Order 45 art. 2).
	SummaryNotPublished bool `json:"summary_not_published,omitzero"`
	// MinorPublishOnDecision: a minor record is published when the department decides so (NDRC Order 36 art. 12).
	MinorPublishOnDecision bool `json:"minor_publish_on_decision,omitzero"`
	// FraudBanMonths is how long repair is barred after a repair is revoked for fraud.
	FraudBanMonths int `json:"fraud_ban_months,omitzero"`
	// FraudRestartsPublication: after fraud the original record's publication period starts again (samr).
	FraudRestartsPublication bool `json:"fraud_restarts_publication,omitzero"`
}

// The values of RuleSet.Classification and RuleSet.PeriodsFrom.
const (
	ClassifyByAmount       = "amount"
	ClassifyByField        = "field"
	PeriodsFromDecision    = "decision"
	PeriodsFromPublication = "publication"
)

// National is the jurisdiction of the nationwide rule sets.
const National = "national"

// IsOverlay reports whether rs modifies another set rather than standing alone.
func (rs RuleSet) IsOverlay() bool { return rs.Base != "" }

// Class returns the rule for class c of a full or resolved set.
func (rs RuleSet) Class(c Class) (ClassRule, bool) {
	r, ok := rs.Classes[c]
	return r, ok
}

// hasParams reports whether any parameter (as opposed to identity) field is set.
func (rs RuleSet) hasParams() bool {
	return len(rs.Classes) > 0 || rs.Deadlines != (Deadlines{}) || rs.Fines != (FineThresholds{}) ||
		rs.WarningOnlyNotPublished || rs.LowFineMaxYuan != 0 || rs.LowFineAutoEndMonths != 0 ||
		rs.NoNewSamePenaltyRequired || rs.LicenseRevocationNotRepairable || rs.FraudBanMonths != 0 ||
		rs.FraudRestartsPublication || len(rs.NotRepairableTypes) > 0 || rs.Classification != "" ||
		len(rs.SeriousFields) > 0 || len(rs.TypeClasses) > 0 || len(rs.LowFineDiscretion) > 0 || rs.PeriodsFrom != "" ||
		rs.SummaryNotPublished || rs.MinorPublishOnDecision
}

// identityKeys are the fields an overlay sets for itself; its overrides may not touch them.
var identityKeys = map[string]bool{
	"id": true, "name": true, "jurisdiction": true, "sector": true, "effective_from": true, "base": true,
	"source": true, "regulation": true, "notes": true, "overrides": true, "inactive": true,
}

var (
	ruleSetIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
	sectorPattern    = regexp.MustCompile(`^[a-z][a-z_]{0,62}$`)
)

// Validate checks rs as it is defined and stored: a full set must carry every parameter with sane values, an overlay
// only its identity and a JSON-object Overrides that leaves identity fields alone. (A resolved overlay carries its
// base's parameters; Resolve checks those.) The error is an *InputError listing every problem in Chinese.
func (rs RuleSet) Validate() error {
	var p problems
	p.check(ruleSetIDPattern.MatchString(rs.ID), "id", "规则集编号只能由小写字母、数字和连字符组成（2-63位）")
	p.check(strings.TrimSpace(rs.Name) != "", "name", "规则集名称不能为空")
	p.check(rs.Sector == "" || sectorPattern.MatchString(rs.Sector), "sector", "行业领域只能为空或由小写字母和下划线组成")
	p.check(!rs.EffectiveFrom.IsZero(), "effective_from", "规则集必须有生效日期")
	if rs.IsOverlay() {
		p.check(rs.Jurisdiction != "" && rs.Jurisdiction != National, "jurisdiction", "地方规则集必须指定地区（不能为national）")
		p.check(rs.Base != rs.ID, "base", "地方规则集不能以自己为基础")
		p.check(!rs.hasParams(), "overrides", "地方规则集只能通过overrides修改参数")
		p.validateOverrides(rs.Overrides)
		return p.err()
	}
	p.check(rs.Jurisdiction == National, "jurisdiction", "完整规则集的适用地区必须为national，地方差异请用地方规则集（base + overrides）")
	p.check(len(rs.Overrides) == 0, "overrides", "完整规则集不能有overrides")
	rs.validateParams(&p)
	return p.err()
}

// validateParams checks the parameters of a full or resolved set.
func (rs RuleSet) validateParams(p *problems) {
	for c := range rs.Classes {
		p.check(c.Valid(), "classes", fmt.Sprintf("未知的失信等级“%s”", c))
	}
	for _, c := range Classes {
		r, ok := rs.Classes[c]
		if !ok {
			p.add("classes."+string(c), fmt.Sprintf("缺少%s失信等级的规则", c.Label()))
			continue
		}
		f := "classes." + string(c)
		p.check(r.MaxPublishMonths >= 1 && r.MaxPublishMonths <= 120, f+".max_publish_months",
			fmt.Sprintf("%s失信等级的最长公示期应为1-120个月", c.Label()))
		p.check(r.MinPublishMonths >= 0 && r.MinPublishMonths <= r.MaxPublishMonths, f+".min_publish_months",
			fmt.Sprintf("%s失信等级的最短公示期应在0到最长公示期之间", c.Label()))
	}
	d := rs.Deadlines
	for _, dl := range []struct {
		name string
		v    int
	}{
		{"acceptance", d.Acceptance}, {"decision", d.Decision}, {"extension", d.Extension}, {"overall", d.Overall},
		{"forwarding", d.Forwarding}, {"channel_withdrawal", d.ChannelWithdrawal},
		{"objection_mark", d.ObjectionMark}, {"objection_forward", d.ObjectionForward},
		{"objection_verify", d.ObjectionVerify}, {"objection_extension", d.ObjectionExtension},
		{"delivery", d.Delivery}, {"publication", d.Publication},
		{"revocation_withdrawal", d.RevocationWithdrawal}, {"bankruptcy_shield", d.BankruptcyShield},
	} {
		p.check(dl.v >= 1 && dl.v <= 250, "deadlines."+dl.name, fmt.Sprintf("期限%s应为1-250个工作日", dl.name))
	}
	p.check(rs.Classification == "" || rs.Classification == ClassifyByAmount || rs.Classification == ClassifyByField,
		"classification", "分类方式classification应为amount（按罚款数额）或field（按领域和处罚种类）")
	if rs.Classification != ClassifyByField {
		p.check(rs.Fines.MinorMaxYuan >= 0, "fines.minor_max_yuan", "轻微罚款上限不能为负数")
		p.check(rs.Fines.SeriousMinYuan > rs.Fines.MinorMaxYuan, "fines.serious_min_yuan", "严重罚款下限必须高于轻微罚款上限")
	}
	p.check(rs.PeriodsFrom == "" || rs.PeriodsFrom == PeriodsFromDecision || rs.PeriodsFrom == PeriodsFromPublication,
		"periods_from", "公示期限起算点periods_from应为decision（决定之日）或publication（公示之日）")
	for _, f := range rs.SeriousFields {
		p.check(f != "" && f.Valid(), "serious_fields", fmt.Sprintf("未知的监管领域“%s”", f))
	}
	for t, c := range rs.TypeClasses {
		p.check(t.Valid() && c.Valid(), "type_classes", fmt.Sprintf("处罚种类分类“%s: %s”无效", t, c))
	}
	for _, t := range rs.NotRepairableTypes {
		p.check(t.Valid(), "not_repairable_types", fmt.Sprintf("未知的处罚种类“%s”", t))
	}
	for _, d := range rs.LowFineDiscretion {
		p.check(d != "" && d.Valid(), "low_fine_discretion", fmt.Sprintf("未知的裁量等级“%s”", d))
	}
	p.check((rs.LowFineMaxYuan > 0) == (rs.LowFineAutoEndMonths > 0), "low_fine_auto_end_months",
		"较低数额罚款上限与自动停止公示月数必须同时设置")
	p.check(rs.LowFineMaxYuan >= 0 && rs.LowFineAutoEndMonths >= 0 && rs.LowFineAutoEndMonths <= 120,
		"low_fine_max_yuan", "较低数额罚款参数不能为负数，自动停止公示月数不超过120")
	p.check(rs.FraudBanMonths >= 0 && rs.FraudBanMonths <= 120, "fraud_ban_months", "弄虚作假禁止修复期应为0-120个月")
}

func (p *problems) validateOverrides(raw json.RawMessage) {
	var m map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &m) != nil || m == nil {
		p.add("overrides", "地方规则集的overrides必须是JSON对象")
		return
	}
	for k := range m {
		p.check(!identityKeys[k], "overrides."+k, fmt.Sprintf("overrides不能修改“%s”", k))
	}
}

// problems collects validation failures so an operator sees all of them at once.
type problems struct {
	fields []string
	msgs   []string
}

func (p *problems) add(field, msg string) {
	p.fields = append(p.fields, field)
	p.msgs = append(p.msgs, msg)
}

func (p *problems) check(ok bool, field, msg string) {
	if !ok {
		p.add(field, msg)
	}
}

func (p *problems) err() error {
	if len(p.msgs) == 0 {
		return nil
	}
	return &InputError{Field: strings.Join(p.fields, ","), Code: "invalid_rule_set",
		Message: "规则集无效：" + strings.Join(p.msgs, "；")}
}

// ParseRuleSet decodes a rule set definition with DecodeRuleSet and validates it.
func ParseRuleSet(data []byte) (RuleSet, error) {
	rs, err := DecodeRuleSet(data)
	if err != nil {
		return RuleSet{}, err
	}
	if err := rs.Validate(); err != nil {
		return RuleSet{}, err
	}
	return rs, nil
}

// DecodeRuleSet decodes a rule set strictly (unknown fields are errors, since a misspelt parameter would otherwise
// silently keep its default) without validating it, and compacts Overrides so that equal sets compare equal
// whatever the spacing of their source (a file, PostgreSQL's jsonb).
func DecodeRuleSet(data []byte) (RuleSet, error) {
	var rs RuleSet
	if err := decodeStrict(data, &rs); err != nil {
		return RuleSet{}, &InputError{Field: "rule_set", Code: "invalid_rule_set",
			Message: fmt.Sprintf("规则集不是有效的JSON：%v", err)}
	}
	if len(rs.Overrides) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, rs.Overrides); err != nil {
			return RuleSet{}, &InputError{Field: "overrides", Code: "invalid_rule_set",
				Message: fmt.Sprintf("规则集的overrides不是有效的JSON：%v", err)}
		}
		rs.Overrides = buf.Bytes()
	}
	return rs, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// Resolve applies overlay rs to its base (which must be full or already resolved) and returns the effective set:
// the base's parameters with the overrides merged in, under the overlay's own identity; Base keeps the base's id so
// the case can record both. A full set resolves to itself.
func (rs RuleSet) Resolve(base RuleSet) (RuleSet, error) {
	if !rs.IsOverlay() {
		return rs, nil
	}
	if base.ID != rs.Base {
		return RuleSet{}, fmt.Errorf("domain: resolve %s: got base %s, want %s", rs.ID, base.ID, rs.Base)
	}
	params := base
	params.ID, params.Name, params.Jurisdiction, params.Sector, params.EffectiveFrom, params.Base = "", "", "", "", Date{}, ""
	params.Source, params.Notes, params.Overrides, params.Inactive, params.Regulation = "", nil, nil, false, ""
	baseJSON, err := json.Marshal(params)
	if err != nil {
		return RuleSet{}, fmt.Errorf("domain: resolve %s: marshal base %s: %w", rs.ID, base.ID, err)
	}
	merged, err := mergePatchJSON(baseJSON, rs.Overrides)
	if err != nil {
		return RuleSet{}, &InputError{Field: "overrides", Code: "invalid_rule_set",
			Message: fmt.Sprintf("规则集%s的overrides无法应用：%v", rs.ID, err)}
	}
	var out RuleSet
	if err := decodeStrict(merged, &out); err != nil {
		return RuleSet{}, &InputError{Field: "overrides", Code: "invalid_rule_set",
			Message: fmt.Sprintf("规则集%s的overrides含有无效参数：%v", rs.ID, err)}
	}
	out.ID, out.Name, out.Jurisdiction, out.EffectiveFrom, out.Base = rs.ID, rs.Name, rs.Jurisdiction, rs.EffectiveFrom, rs.Base
	out.Inactive = rs.Inactive
	out.Sector = rs.Sector
	if out.Sector == "" {
		out.Sector = base.Sector
	}
	out.Source = rs.Source
	if out.Source == "" {
		out.Source = base.Source
	}
	out.Regulation = rs.Regulation
	if out.Regulation == "" {
		out.Regulation = base.Regulation
	}
	out.Notes = append(slices.Clone(base.Notes), rs.Notes...)
	out.Overrides = rs.Overrides
	var p problems
	out.validateParams(&p)
	if err := p.err(); err != nil {
		ie := err.(*InputError)
		ie.Message = fmt.Sprintf("规则集%s应用到%s后无效：%s", rs.ID, base.ID, strings.TrimPrefix(ie.Message, "规则集无效："))
		return RuleSet{}, ie
	}
	return out, nil
}

// mergePatchJSON applies an RFC 7386 merge patch.
func mergePatchJSON(target, patch []byte) ([]byte, error) {
	var t, p any
	if err := unmarshalNumbers(target, &t); err != nil {
		return nil, err
	}
	if err := unmarshalNumbers(patch, &p); err != nil {
		return nil, err
	}
	return json.Marshal(mergePatch(t, p))
}

// unmarshalNumbers keeps numbers as json.Number so large integers survive the round trip exactly.
func unmarshalNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

func mergePatch(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = mergePatch(tm[k], v)
	}
	return tm
}

// ResolveRuleSet finds the set with the given id and resolves it through its chain of bases (an overlay may build on
// another overlay, e.g. a city on its province).
func ResolveRuleSet(sets []RuleSet, id string) (RuleSet, error) {
	byID := indexRuleSets(sets)
	return resolveChain(byID, id, 0)
}

// maxOverlayDepth bounds a chain of overlays; it also stops a cycle.
const maxOverlayDepth = 8

func resolveChain(byID map[string]RuleSet, id string, depth int) (RuleSet, error) {
	rs, ok := byID[id]
	if !ok {
		return RuleSet{}, &InputError{Field: "base", Code: "invalid_rule_set", Message: fmt.Sprintf("规则集%s不存在", id)}
	}
	if !rs.IsOverlay() {
		return rs, nil
	}
	if depth >= maxOverlayDepth {
		return RuleSet{}, &InputError{Field: "base", Code: "invalid_rule_set",
			Message: fmt.Sprintf("规则集%s的基础规则集层级过深或存在循环", id)}
	}
	base, err := resolveChain(byID, rs.Base, depth+1)
	if err != nil {
		return RuleSet{}, err
	}
	return rs.Resolve(base)
}

func indexRuleSets(sets []RuleSet) map[string]RuleSet {
	byID := make(map[string]RuleSet, len(sets))
	for _, s := range sets {
		byID[s.ID] = s
	}
	return byID
}

// rootBase follows an overlay's bases to the full set it ultimately modifies.
func rootBase(byID map[string]RuleSet, id string) (string, error) {
	for range maxOverlayDepth + 1 {
		rs, ok := byID[id]
		if !ok {
			return "", &InputError{Field: "base", Code: "invalid_rule_set", Message: fmt.Sprintf("规则集%s不存在", id)}
		}
		if !rs.IsOverlay() {
			return id, nil
		}
		id = rs.Base
	}
	return "", &InputError{Field: "base", Code: "invalid_rule_set", Message: fmt.Sprintf("规则集%s的基础规则集层级过深或存在循环", id)}
}

// NoRuleSetError says that no rule set is in force for a case.
type NoRuleSetError struct {
	Jurisdiction string
	Sector       string
	On           Date
}

// Error returns a Chinese message.
func (e *NoRuleSetError) Error() string {
	scope := "全国通用的"
	if e.Sector != "" {
		scope = sectorWord(e.Sector) + "领域或全国通用的"
	}
	return fmt.Sprintf("截至%s，没有已生效的%s信用修复规则集，无法计算公示期限和修复条件（本系统的规则自2019年7月1日起适用）", e.On, scope)
}

// sectorWord names a sector in Chinese (never its code).
func sectorWord(sector string) string {
	if sector == "market_supervision" {
		return "市场监督管理"
	}
	return "本部门所属"
}

// ErrorCode returns the API error code.
func (e *NoRuleSetError) ErrorCode() string { return "no_rule_set" }

// SelectRuleSet returns the effective rule set for a case of a department in jurisdiction and sector on the date
// that matters (the decision date for publication periods, the application date for procedure deadlines):
//   - among full sets in force (effective_from <= on), one for the sector beats the nationwide one, and the latest
//     effective_from wins (so a successor replaces its predecessor on its first day);
//   - then the most specific local overlay in force for the jurisdiction whose chain of bases ends at that set is
//     applied. An overlay is written against one set: when a new national set takes over, the old overlay stops
//     applying until the locality issues one for the new set.
//
// Jurisdictions are matched exactly, and 6-digit administrative division codes also by containment: an overlay for
// 320000 (Jiangsu) applies to 321100 (Zhenjiang), and one for 321100 to its counties, the most specific winning.
func SelectRuleSet(sets []RuleSet, jurisdiction, sector string, on Date) (RuleSet, error) {
	byID := indexRuleSets(sets)
	var base *RuleSet
	for i := range sets {
		s := &sets[i]
		if s.Inactive || s.IsOverlay() || s.EffectiveFrom.After(on) || (s.Sector != "" && s.Sector != sector) {
			continue
		}
		if base == nil || betterBase(s, base) {
			base = s
		}
	}
	if base == nil {
		return RuleSet{}, &NoRuleSetError{Jurisdiction: jurisdiction, Sector: sector, On: on}
	}
	var overlay *RuleSet
	overlaySpec := 0
	for i := range sets {
		s := &sets[i]
		if s.Inactive || !s.IsOverlay() || s.EffectiveFrom.After(on) || (s.Sector != "" && s.Sector != sector) {
			continue
		}
		spec := jurisdictionSpecificity(s.Jurisdiction, jurisdiction)
		if spec == 0 {
			continue
		}
		root, err := rootBase(byID, s.ID)
		if err != nil {
			return RuleSet{}, fmt.Errorf("domain: select rule set: %w", err)
		}
		if root != base.ID {
			continue
		}
		if overlay == nil || spec > overlaySpec ||
			(spec == overlaySpec && laterOrGreater(s, overlay)) {
			overlay, overlaySpec = s, spec
		}
	}
	if overlay == nil {
		return *base, nil
	}
	rs, err := resolveChain(byID, overlay.ID, 0)
	if err != nil {
		return RuleSet{}, fmt.Errorf("domain: select rule set: %w", err)
	}
	return rs, nil
}

func betterBase(s, best *RuleSet) bool {
	if (s.Sector != "") != (best.Sector != "") {
		return s.Sector != ""
	}
	return laterOrGreater(s, best)
}

// laterOrGreater orders by effective date, then id, so that the choice never depends on the order of the list.
func laterOrGreater(s, t *RuleSet) bool {
	if c := s.EffectiveFrom.Compare(t.EffectiveFrom); c != 0 {
		return c > 0
	}
	return s.ID > t.ID
}

var divisionCode = regexp.MustCompile(`^[0-9]{6}$`)

// jurisdictionSpecificity says how closely an overlay's jurisdiction matches a department's: 0 not at all, 2 the
// province, 4 the city, 10 exactly.
func jurisdictionSpecificity(overlay, dept string) int {
	if overlay == dept {
		return 10
	}
	if !divisionCode.MatchString(overlay) || !divisionCode.MatchString(dept) {
		return 0
	}
	switch {
	case strings.HasSuffix(overlay, "0000") && overlay[:2] == dept[:2]:
		return 2
	case strings.HasSuffix(overlay, "00") && overlay[:4] == dept[:4]:
		return 4
	}
	return 0
}

// ruleSetFS holds the shipped rule sets; migrations/00003_rulesets.sql seeds the same definitions.
//
//go:embed rulesets/*.json
var ruleSetFS embed.FS

var defaultRuleSets = sync.OnceValues(func() ([]RuleSet, error) {
	names, err := fs.Glob(ruleSetFS, "rulesets/*.json")
	if err != nil {
		return nil, fmt.Errorf("domain: list embedded rule sets: %w", err)
	}
	var sets []RuleSet
	for _, name := range names {
		b, err := ruleSetFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("domain: read %s: %w", name, err)
		}
		rs, err := ParseRuleSet(b)
		if err != nil {
			return nil, fmt.Errorf("domain: %s: %w", name, err)
		}
		if want := strings.TrimSuffix(strings.TrimPrefix(name, "rulesets/"), ".json"); rs.ID != want {
			return nil, fmt.Errorf("domain: %s holds rule set %q; the file must be named after its id", name, rs.ID)
		}
		sets = append(sets, rs)
	}
	sort.Slice(sets, func(i, j int) bool { return sets[i].ID < sets[j].ID })
	for _, rs := range sets {
		if _, err := ResolveRuleSet(sets, rs.ID); err != nil {
			return nil, fmt.Errorf("domain: embedded rule set %s: %w", rs.ID, err)
		}
	}
	return sets, nil
})

// DefaultRuleSets returns the rule sets shipped with the binary (as defined, overlays unresolved), ordered by id.
// Production code reads rule sets from PostgreSQL, where an operator can add one.
func DefaultRuleSets() []RuleSet {
	sets, err := defaultRuleSets()
	if err != nil {
		// The files are compiled in and tested; failing here means the build itself is broken.
		panic(err)
	}
	out := make([]RuleSet, len(sets))
	for i, s := range sets {
		out[i] = s.clone()
	}
	return out
}

// clone copies the set's maps and slices so a caller cannot change shared data.
func (rs RuleSet) clone() RuleSet {
	c := rs
	c.Classes = make(map[Class]ClassRule, len(rs.Classes))
	for k, v := range rs.Classes {
		c.Classes[k] = v
	}
	if rs.Classes == nil {
		c.Classes = nil
	}
	c.Notes = slices.Clone(rs.Notes)
	c.Overrides = slices.Clone(rs.Overrides)
	c.NotRepairableTypes = slices.Clone(rs.NotRepairableTypes)
	c.SeriousFields = slices.Clone(rs.SeriousFields)
	c.LowFineDiscretion = slices.Clone(rs.LowFineDiscretion)
	if rs.TypeClasses != nil {
		c.TypeClasses = make(map[PenaltyType]Class, len(rs.TypeClasses))
		for k, v := range rs.TypeClasses {
			c.TypeClasses[k] = v
		}
	}
	return c
}

// The regulations a withdrawal's 告知函 cites: a record withdrawn today is withdrawn under the repair regulation in
// force, whichever regime published it.
const (
	RegulationNDRCRepair = "《信用修复管理办法》"       // NDRC Order 36
	RegulationSAMRRepair = "《市场监督管理信用修复管理办法》" // SAMR Order 107
)

// WithdrawalRegulation is the regulation the 告知函 of a record under rs cites: SAMR Order 107 for
// market-supervision records (every samr set, including samr-2021 under Order 45, whose records are repaired and
// withdrawn under Order 107 since 2025-12-25), NDRC Order 36 otherwise.
func (rs RuleSet) WithdrawalRegulation() string {
	if rs.Sector == "market_supervision" {
		return RegulationSAMRRepair
	}
	return RegulationNDRCRepair
}
