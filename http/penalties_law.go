package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/sdk/client"

	"xinyong/domain"
	"xinyong/storage"
	"xinyong/workflows"
)

// lawInput are the registration fields the class rules need beyond penalty types and amount (issue 13), as the
// API, the form and the CSV import receive them. An unknown value is a 422, never silently dropped.
type lawInput struct {
	RegulatedField string `json:"regulated_field"`
	Discretion     string `json:"discretion"`
	ViolationType  string `json:"violation_type"`
	PublishedOn    string `json:"published_on"`
	Summary        bool   `json:"summary"`
	PublishMinor   bool   `json:"publish_minor"`
	// flagErr is a CSV or form flag that was neither true nor false; it is reported by parse.
	flagErr *Error
}

// lawFacts are lawInput's values once checked.
type lawFacts struct {
	field         domain.RegulatedField
	discretion    domain.Discretion
	violationType string
	publishedOn   domain.Date
	summary       bool
	publishMinor  bool
}

const maxViolationTypeLen = 200

func (in lawInput) parse() (lawFacts, *Error) {
	if in.flagErr != nil {
		return lawFacts{}, in.flagErr
	}
	f := lawFacts{field: domain.RegulatedField(strings.TrimSpace(in.RegulatedField)),
		discretion: domain.Discretion(strings.TrimSpace(in.Discretion)), violationType: strings.TrimSpace(in.ViolationType),
		summary: in.Summary, publishMinor: in.PublishMinor}
	if !f.field.Valid() {
		return f, invalidField("regulated_field", "invalid_regulated_field",
			fmt.Sprintf("未知的监管领域“%s”，应为food、drug、medical_device、cosmetics、special_equipment、key_industrial_product或留空", in.RegulatedField)).
			With(map[string]any{"field": "regulated_field", "value": in.RegulatedField})
	}
	if !f.discretion.Valid() {
		return f, invalidField("discretion", "invalid_discretion",
			fmt.Sprintf("未知的裁量等级“%s”，应为lighter（从轻）、mitigated（减轻）、normal（一般）、heavier（从重）或留空", in.Discretion)).
			With(map[string]any{"field": "discretion", "value": in.Discretion})
	}
	if utf8.RuneCountInString(f.violationType) > maxViolationTypeLen {
		return f, invalidField("violation_type", "invalid_violation_type", "违法行为类型过长（不超过200字）")
	}
	if e := printable("violation_type", "违法行为类型", f.violationType); e != nil {
		return f, e
	}
	d, e := dateField("published_on", "公示日期 published_on ", in.PublishedOn)
	f.publishedOn = d
	return f, e
}

// apply copies the facts into the input of the class rules.
func (f lawFacts) apply(in *domain.PenaltyInput) {
	in.RegulatedField, in.Discretion, in.PublishedOn = f.field, f.discretion, f.publishedOn
	in.Summary, in.PublishMinor = f.summary, f.publishMinor
}

// stored is what the penalty row keeps.
func (f lawFacts) stored() storage.PenaltyLaw {
	return storage.PenaltyLaw{RegulatedField: string(f.field), Discretion: string(f.discretion),
		ViolationType: f.violationType, PublishedOn: f.publishedOn, Summary: f.summary, PublishMinor: f.publishMinor}
}

// parseFlag reads a yes/no cell or form value; ok is false for anything else.
func parseFlag(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0", "no", "否", "off":
		return false, true
	case "true", "1", "yes", "是", "on":
		return true, true
	}
	return false, false
}

// lawInputFrom reads the fields by name (a CSV row's cells, a form's values).
func lawInputFrom(get func(string) string) lawInput {
	in := lawInput{RegulatedField: get("regulated_field"), Discretion: get("discretion"),
		ViolationType: get("violation_type"), PublishedOn: get("published_on")}
	for _, fl := range []struct {
		name string
		dst  *bool
	}{{"summary", &in.Summary}, {"publish_minor", &in.PublishMinor}} {
		v, ok := parseFlag(get(fl.name))
		if !ok && in.flagErr == nil {
			in.flagErr = invalidField(fl.name, "invalid_flag", fmt.Sprintf("%s 应为 true 或 false（是/否）", fl.name))
		}
		*fl.dst = v
	}
	return in
}

func lawInputFromCSV(cell func(string) string) lawInput { return lawInputFrom(cell) }

func lawInputFromForm(c *fiber.Ctx) lawInput {
	return lawInputFrom(func(name string) string { return c.FormValue(name) })
}

func regulatedFieldOptions() []option {
	return append([]option{{"", "不属于下列领域"}}, labelledOptions(domain.RegulatedFields)...)
}

func discretionOptions() []option {
	return append([]option{{"", "未注明"}}, labelledOptions(domain.Discretions)...)
}

// lawInputOf gives back the input a stored penalty was registered with.
func lawInputOf(l storage.PenaltyLaw) lawInput {
	return lawInput{RegulatedField: l.RegulatedField, Discretion: l.Discretion, ViolationType: l.ViolationType,
		PublishedOn: l.PublishedOn.String(), Summary: l.Summary, PublishMinor: l.PublishMinor}
}

// penaltyLawJSON shows the law facts of a penalty.
type penaltyLawJSON struct {
	RegulatedField string      `json:"regulated_field"`
	Discretion     string      `json:"discretion"`
	ViolationType  string      `json:"violation_type"`
	PublishedOn    domain.Date `json:"published_on"`
	Summary        bool        `json:"summary"`
	PublishMinor   bool        `json:"publish_minor"`
}

func toPenaltyLawJSON(l storage.PenaltyLaw) penaltyLawJSON {
	return penaltyLawJSON{RegulatedField: l.RegulatedField, Discretion: l.Discretion, ViolationType: l.ViolationType,
		PublishedOn: l.PublishedOn, Summary: l.Summary, PublishMinor: l.PublishMinor}
}

// addLawFacts puts the registration's law facts on the case page and, for staff, the notes of the case's rule set
// (what it assumes where the regulation is silent or could not be verified).
func (s *Server) addLawFacts(ctx context.Context, p *principal, pen storage.Penalty, d map[string]any) error {
	var parts []string
	if pen.RegulatedField != "" {
		parts = append(parts, "监管领域："+domain.RegulatedField(pen.RegulatedField).Label())
	}
	if pen.Discretion != "" {
		parts = append(parts, "裁量等级："+domain.Discretion(pen.Discretion).Label())
	}
	if pen.ViolationType != "" {
		parts = append(parts, "违法行为类型："+pen.ViolationType)
	}
	if !pen.PublishedOn.IsZero() {
		parts = append(parts, "公示日期："+pen.PublishedOn.String())
	}
	if pen.Summary {
		parts = append(parts, "适用简易程序")
	}
	if pen.PublishMinor {
		parts = append(parts, "认定部门决定公示轻微失信信息")
	}
	d["Law"] = strings.Join(parts, "；")
	d["RuleSetName"] = s.ruleSetName(ctx, pen.RuleSet)
	if p.Role == domain.RoleEnterprise {
		return nil
	}
	rs, err := s.db.GetResolvedRuleSet(ctx, pen.RuleSet)
	if err != nil {
		return err
	}
	d["RuleSetNotes"] = rs.Notes
	return nil
}

// provisionalDeadlines maps a case's provisional deadline columns (acceptance_due) to the API's names (acceptance).
func provisionalDeadlines(names []string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		out[strings.TrimSuffix(n, "_due")] = true
	}
	return out
}

// LoadHolidayYear loads a year's holiday notice and tells every open case whose deadlines were provisional in it
// (SignalCalendarLoaded): the one path of the admin calendar page, POST /api/v1/calendar/years and
// `xinyong calendar import`. With no Temporal client the notice is loaded and no case is told.
func LoadHolidayYear(ctx context.Context, db *storage.DB, tc client.Client, hy domain.HolidayYear, log *slog.Logger) (told int, err error) {
	if err := db.ImportHolidayYear(ctx, hy.Year, hy.Source, hy.Days); err != nil {
		return 0, err
	}
	return SignalCalendarLoaded(ctx, db, tc, hy.Year, log), nil
}

// SignalCalendarLoaded tells every open case with a provisional deadline (repairs, penalties, objections,
// withdrawals) that the notice for year was loaded, so that it counts its deadlines again; it answers how many
// were told. A case that cannot be told now is logged; it keeps its provisional dates, shown as 暂定, until the
// year is loaded again.
func SignalCalendarLoaded(ctx context.Context, db *storage.DB, tc client.Client, year int, log *slog.Logger) int {
	if tc == nil {
		return 0
	}
	refs, err := db.OpenCasesWithProvisionalDeadlines(ctx, year)
	if err != nil {
		log.Warn("listing cases with provisional deadlines failed", "year", year, "err", err)
		return 0
	}
	told := 0
	for _, ref := range refs {
		id, ok := calendarWorkflowID(ref)
		if !ok {
			continue
		}
		if err := tc.SignalWorkflow(ctx, id, "", workflows.SignalCalendarChanged, workflows.CalendarChanged{Year: year}); err != nil {
			log.Warn("telling a case about a new holiday notice failed", "workflow", id, "year", year, "err", err)
			continue
		}
		told++
	}
	return told
}

// calendarWorkflowID is the workflow that keeps a case's deadlines.
func calendarWorkflowID(ref storage.CaseRef) (string, bool) {
	switch ref.Kind {
	case "repair":
		return workflows.RepairWorkflowID(ref.ID), true
	case "penalty":
		return workflows.PenaltyWorkflowID(ref.ID), true
	case "objection":
		return workflows.ObjectionWorkflowID(ref.ID), true
	case "withdrawal":
		return workflows.WithdrawalWorkflowID(ref.ID), true
	}
	return "", false
}
