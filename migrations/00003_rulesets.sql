-- +goose Up
-- Rule sets are data: a case is judged by the set in force on the date that matters and records the set's id, so a
-- set is never changed once stored; rules change by adding a set with a later effective date (or a local overlay).
-- params holds the whole definition as domain.RuleSet's JSON; the columns repeat its identity for queries and the
-- CHECKs keep both in agreement. An overlay's base must exist (and cannot be deleted while the overlay does).
CREATE TABLE rule_sets (
    id             text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    jurisdiction   text NOT NULL,
    sector         text NOT NULL DEFAULT '',   -- '' for every sector
    effective_from date NOT NULL,
    base           text REFERENCES rule_sets (id), -- NULL for a full set
    params         jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (base IS NULL OR base <> id),
    CHECK (params->>'id' = id),
    CHECK (params->>'jurisdiction' = jurisdiction),
    CHECK (params->>'sector' = sector),
    CHECK (params->>'base' = COALESCE(base, '')),
    CHECK (params->>'effective_from' = to_char(effective_from, 'YYYY-MM-DD'))
);
CREATE INDEX rule_sets_in_force ON rule_sets (sector, effective_from);

-- +goose StatementBegin
CREATE FUNCTION rule_sets_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rule_sets rows are immutable: add a new rule set instead of changing %', OLD.id;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER rule_sets_no_update BEFORE UPDATE ON rule_sets
    FOR EACH ROW EXECUTE FUNCTION rule_sets_immutable();

-- BEGIN GENERATED SEED (storage/rulesets_test.go, from domain/rulesets; do not edit by hand)
INSERT INTO rule_sets (id, jurisdiction, sector, effective_from, base, params) VALUES
    ('ndrc-2023', 'national', '', '2023-05-01', NULL,
     '{"id":"ndrc-2023","name":"失信行为纠正后的信用信息修复管理办法（试行）（国家发展改革委令2023年第58号，已被第36号令取代）","jurisdiction":"national","sector":"","effective_from":"2023-05-01","base":"","source":"国家发展改革委令2023年第58号《失信行为纠正后的信用信息修复管理办法（试行）》（2023年5月1日起施行，2026年4月1日起由第36号令取代）","notes":["本规则集用于2026年4月1日前作出的处罚决定。各项期限与公示期沿用ndrc-2026的参数，是否与第58号令完全一致尚待核实。","轻微罚款上限5000元、严重罚款下限100万元为本系统的默认假设，各行业可另行规定。","转送时限“及时”按1个工作日执行；异议核查延期10个工作日为本系统假设（办法仅要求提前告知申请人）。"],"classes":{"general":{"published":true,"max_publish_months":12,"min_publish_months":3,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"minor":{"published":false,"max_publish_months":3,"min_publish_months":0,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"serious":{"published":true,"max_publish_months":36,"min_publish_months":12,"repairable_early":true,"requires_training":false,"requires_credit_report":false}},"deadlines":{"acceptance":3,"decision":7,"extension":10,"overall":10,"forwarding":1,"channel_withdrawal":3,"objection_mark":1,"objection_forward":1,"objection_verify":7,"objection_extension":10,"delivery":7,"publication":7,"revocation_withdrawal":3,"bankruptcy_shield":10},"fines":{"minor_max_yuan":5000,"serious_min_yuan":1000000},"fraud_ban_months":36}'),
    ('ndrc-2026', 'national', '', '2026-04-01', NULL,
     '{"id":"ndrc-2026","name":"信用修复管理办法（国家发展改革委令第36号）","jurisdiction":"national","sector":"","effective_from":"2026-04-01","base":"","source":"国家发展改革委令第36号《信用修复管理办法》（2025年11月20日公布，2026年4月1日起施行）；国办发〔2025〕22号","notes":["轻微罚款上限5000元、严重罚款下限100万元为本系统的默认假设，各行业可另行规定。","转送时限“及时”按1个工作日执行；异议核查延期10个工作日为本系统假设（办法仅要求提前告知申请人）。"],"classes":{"general":{"published":true,"max_publish_months":12,"min_publish_months":3,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"minor":{"published":false,"max_publish_months":3,"min_publish_months":0,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"serious":{"published":true,"max_publish_months":36,"min_publish_months":12,"repairable_early":true,"requires_training":false,"requires_credit_report":false}},"deadlines":{"acceptance":3,"decision":7,"extension":10,"overall":10,"forwarding":1,"channel_withdrawal":3,"objection_mark":1,"objection_forward":1,"objection_verify":7,"objection_extension":10,"delivery":7,"publication":7,"revocation_withdrawal":3,"bankruptcy_shield":10},"fines":{"minor_max_yuan":5000,"serious_min_yuan":1000000},"fraud_ban_months":36}'),
    ('samr-2025', 'national', 'market_supervision', '2025-12-25', NULL,
     '{"id":"samr-2025","name":"市场监督管理信用修复管理办法（市场监管总局令第107号）","jurisdiction":"national","sector":"market_supervision","effective_from":"2025-12-25","base":"","source":"市场监管总局令第107号《市场监督管理信用修复管理办法》（2025年12月25日起施行）；市场监管总局令第45号（行政处罚信息公示）","notes":["仅受警告处罚的不予公示；仅受通报批评或较低数额罚款（从轻处罚，单位不超过5万元）的，公示满3个月自动停止公示，无需申请。","食品、药品、医疗器械、化妆品、特种设备、重点工业产品领域的严重违法及吊销许可证件、营业执照、责令关闭的，公示满1年方可申请修复；吊销许可证件的不得提前修复。","修复还须未再受到同一类型的行政处罚；弄虚作假的，原公示期重新计算。","严重失信最长公示36个月、一般失信最长12个月、严重罚款下限100万元、整体办理时限9个工作日（受理2+决定7）、异议各项期限沿用全国规则，均为本系统假设。"],"classes":{"general":{"published":true,"max_publish_months":12,"min_publish_months":3,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"minor":{"published":true,"max_publish_months":3,"min_publish_months":0,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"serious":{"published":true,"max_publish_months":36,"min_publish_months":12,"repairable_early":true,"requires_training":false,"requires_credit_report":false}},"deadlines":{"acceptance":2,"decision":7,"extension":10,"overall":9,"forwarding":1,"channel_withdrawal":3,"objection_mark":1,"objection_forward":1,"objection_verify":7,"objection_extension":10,"delivery":7,"publication":20,"revocation_withdrawal":3,"bankruptcy_shield":7},"fines":{"minor_max_yuan":50000,"serious_min_yuan":1000000},"warning_only_not_published":true,"low_fine_max_yuan":50000,"low_fine_auto_end_months":3,"no_new_same_penalty_required":true,"license_revocation_not_repairable":true,"fraud_ban_months":36,"fraud_restarts_publication":true}'),
    ('js-zj-2026', '321100', '', '2026-04-01', 'ndrc-2026',
     '{"id":"js-zj-2026","name":"镇江市信用修复补充规则（严重失信主体修复须参加信用修复培训）","jurisdiction":"321100","sector":"","effective_from":"2026-04-01","base":"ndrc-2026","source":"《镇江市“十四五”社会信用体系建设规划》信用修复培训实践（示例性地方规则）","notes":["示例性地方规则：在ndrc-2026基础上，要求严重失信主体修复时提交信用修复培训合格证明。"],"overrides":{"classes":{"serious":{"requires_training":true}}}}');
-- END GENERATED SEED

-- +goose Down
DROP TABLE rule_sets;
DROP FUNCTION rule_sets_immutable();
