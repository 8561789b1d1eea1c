-- +goose Up
-- The facts of a decision the class rules need beyond its penalty types and amount (issue 13): the regulated field
-- and the discretion tier (SAMR Order 107 arts. 7-8), the type of violation compared by art. 11(3), the publication
-- date periods run from (SAMR Order 45 art. 13), the summary procedure (Order 45 art. 2, NDRC Order 36 art. 8) and
-- a department's decision to publish a minor record (Order 36 art. 12).
ALTER TABLE penalties
    ADD COLUMN regulated_field text NOT NULL DEFAULT '' CHECK (regulated_field IN ('', 'food', 'drug',
        'medical_device', 'cosmetics', 'special_equipment', 'key_industrial_product')),
    ADD COLUMN discretion      text NOT NULL DEFAULT '' CHECK (discretion IN ('', 'lighter', 'mitigated', 'normal', 'heavier')),
    ADD COLUMN violation_type  text NOT NULL DEFAULT '',
    ADD COLUMN published_on    date,
    ADD COLUMN summary         boolean NOT NULL DEFAULT false,
    ADD COLUMN publish_minor   boolean NOT NULL DEFAULT false;
CREATE INDEX penalties_uscc_violation ON penalties (uscc, violation_type) WHERE violation_type <> '';

-- The shipped rule sets encoded the law wrongly (issue 13), so they are corrected in place: a rule set is otherwise
-- immutable, and cases keep their rule set's id. Sets new to this release are added.
ALTER TABLE rule_sets DISABLE TRIGGER rule_sets_no_update;
-- BEGIN GENERATED SEED (storage/rulesets_test.go, from domain/rulesets; do not edit by hand)
INSERT INTO rule_sets (id, jurisdiction, sector, effective_from, base, params) VALUES
    ('ndrc-2019', 'national', '', '2019-07-01', NULL,
     '{"id":"ndrc-2019","name":"信用修复实践（发改办财金〔2019〕527号，2019年7月1日起）","jurisdiction":"national","sector":"","effective_from":"2019-07-01","base":"","source":"国家发展改革委办公厅《关于进一步完善“信用中国”网站及地方信用门户网站行政处罚信息信用修复机制的通知》（发改办财金〔2019〕527号，2019年7月1日起执行）","regulation":"《关于进一步完善“信用中国”网站及地方信用门户网站行政处罚信息信用修复机制的通知》","notes":["用于2023年5月1日前作出的处罚决定（第58号令施行前）。公示期限自处罚决定之日起计算：一般失信行为最短3个月、最长1年；严重失信行为最短6个月、最长3年。","严重失信行为申请修复须提交信用修复培训证明和信用报告。","特定严重失信行为公示期为3年，不得提前修复：本系统以“列入严重失信主体名单”（serious_list）登记特定严重失信行为（本系统的理解，认定部门应据此登记）。","本系统假设（未能核对原文）：轻微失信（警告、通报批评、小额罚款）原则上不公示、最长3个月；轻微罚款上限5000元、严重罚款下限100万元；各项办理时限沿用ndrc-2026；弄虚作假禁止修复36个月。"],"classes":{"general":{"published":true,"max_publish_months":12,"min_publish_months":3,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"minor":{"published":false,"max_publish_months":3,"min_publish_months":0,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"serious":{"published":true,"max_publish_months":36,"min_publish_months":6,"repairable_early":true,"requires_training":true,"requires_credit_report":true}},"deadlines":{"acceptance":3,"decision":7,"extension":10,"overall":10,"forwarding":1,"channel_withdrawal":3,"objection_mark":1,"objection_forward":1,"objection_verify":7,"objection_extension":10,"delivery":7,"publication":7,"revocation_withdrawal":3,"bankruptcy_shield":10},"fines":{"minor_max_yuan":5000,"serious_min_yuan":1000000},"not_repairable_types":["serious_list"],"fraud_ban_months":36}'),
    ('ndrc-2023', 'national', '', '2023-05-01', NULL,
     '{"id":"ndrc-2023","name":"失信行为纠正后的信用信息修复管理办法（试行）（国家发展改革委令2023年第58号，已被第36号令取代）","jurisdiction":"national","sector":"","effective_from":"2023-05-01","base":"","source":"国家发展改革委令2023年第58号《失信行为纠正后的信用信息修复管理办法（试行）》（2023年5月1日起施行，2026年4月1日起由第36号令取代）","regulation":"《失信行为纠正后的信用信息修复管理办法（试行）》","notes":["本规则集用于2023年5月1日至2026年3月31日作出的处罚决定。","本系统假设（未能核对第58号令原文）：各类别公示期（轻微不公示/最长3个月、一般3个月至1年、严重1年至3年）、各项办理时限（受理3、决定7、延长10、整体10个工作日，转送1个工作日，渠道撤下3个工作日）、异议各项期限、弄虚作假禁止修复36个月，均沿用ndrc-2026，是否与第58号令一致尚待核实。","轻微罚款上限5000元、严重罚款下限100万元为本系统的默认假设，各行业可另行规定。","轻微失信信息经认定部门决定可以公示（最长3个月），沿用第36号令第12条，属本系统假设。"],"classes":{"general":{"published":true,"max_publish_months":12,"min_publish_months":3,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"minor":{"published":false,"max_publish_months":3,"min_publish_months":0,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"serious":{"published":true,"max_publish_months":36,"min_publish_months":12,"repairable_early":true,"requires_training":false,"requires_credit_report":false}},"deadlines":{"acceptance":3,"decision":7,"extension":10,"overall":10,"forwarding":1,"channel_withdrawal":3,"objection_mark":1,"objection_forward":1,"objection_verify":7,"objection_extension":10,"delivery":7,"publication":7,"revocation_withdrawal":3,"bankruptcy_shield":10},"fines":{"minor_max_yuan":5000,"serious_min_yuan":1000000},"minor_publish_on_decision":true,"fraud_ban_months":36}'),
    ('ndrc-2026', 'national', '', '2026-04-01', NULL,
     '{"id":"ndrc-2026","name":"信用修复管理办法（国家发展改革委令第36号）","jurisdiction":"national","sector":"","effective_from":"2026-04-01","base":"","source":"国家发展改革委令第36号《信用修复管理办法》（2025年11月20日公布，2026年4月1日起施行）；国办发〔2025〕22号","regulation":"《信用修复管理办法》","notes":["轻微罚款上限5000元、严重罚款下限100万元为本系统的默认假设，各行业可另行规定。","转送时限“及时”按1个工作日执行（本系统假设）。异议核查延期：第18条未规定延长多久，仅要求提前告知申请人；认定部门自定延长后的期限并在延期告知书中告知，最长10个工作日为本系统假设。","整体办理时限10个工作日自信用办（一窗受理）收到申请之日起计算（第16条第1款）；申请人补正或补交培训证明、信用报告的，自收到齐全材料之日起重新计算（本系统的理解）。","轻微失信信息原则上不公示；行业主管部门决定公示的，公示期最长3个月（第12条）。"],"classes":{"general":{"published":true,"max_publish_months":12,"min_publish_months":3,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"minor":{"published":false,"max_publish_months":3,"min_publish_months":0,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"serious":{"published":true,"max_publish_months":36,"min_publish_months":12,"repairable_early":true,"requires_training":false,"requires_credit_report":false}},"deadlines":{"acceptance":3,"decision":7,"extension":10,"overall":10,"forwarding":1,"channel_withdrawal":3,"objection_mark":1,"objection_forward":1,"objection_verify":7,"objection_extension":10,"delivery":7,"publication":7,"revocation_withdrawal":3,"bankruptcy_shield":10},"fines":{"minor_max_yuan":5000,"serious_min_yuan":1000000},"minor_publish_on_decision":true,"fraud_ban_months":36}'),
    ('samr-2021', 'national', 'market_supervision', '2021-09-01', NULL,
     '{"id":"samr-2021","name":"市场监督管理行政处罚信息公示规定（市场监管总局令第45号）","jurisdiction":"national","sector":"market_supervision","effective_from":"2021-09-01","base":"","source":"市场监管总局令第45号《市场监督管理行政处罚信息公示规定》（2021年9月1日起施行；2025年12月25日起信用修复适用第107号令）","regulation":"《市场监督管理行政处罚信息公示规定》","notes":["用于2025年12月25日前作出的市场监管处罚决定。行政处罚信息自作出决定之日起20个工作日内公示；适用简易程序的、仅受警告的不予公示（第2条）；公示期限自公示之日起计算（第13条）。","仅受通报批评或较低数额罚款的，公示满3个月停止公示；其他行政处罚信息公示满3年停止公示。","食品、药品、特种设备领域的行政处罚信息以及列入严重违法失信名单的，不得提前停止公示（本系统按严重失信处理）；其余满6个月后可申请提前停止公示，须未因同一类违法行为再受行政处罚。","本系统假设（未能核对原文）：提前停止公示的最短期限6个月；较低数额罚款的认定（单位不超过5万元，依从轻或减轻裁量）沿用第107号令；受理、决定、异议等办理时限沿用samr-2025；2021年9月1日前的市场监管处罚决定适用ndrc-2019。"],"classes":{"general":{"published":true,"max_publish_months":36,"min_publish_months":6,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"minor":{"published":true,"max_publish_months":3,"min_publish_months":0,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"serious":{"published":true,"max_publish_months":36,"min_publish_months":36,"repairable_early":false,"requires_training":false,"requires_credit_report":false}},"deadlines":{"acceptance":2,"decision":7,"extension":10,"overall":9,"forwarding":1,"channel_withdrawal":3,"objection_mark":1,"objection_forward":1,"objection_verify":7,"objection_extension":10,"delivery":7,"publication":20,"revocation_withdrawal":3,"bankruptcy_shield":7},"warning_only_not_published":true,"low_fine_max_yuan":50000,"low_fine_auto_end_months":3,"no_new_same_penalty_required":true,"classification":"field","serious_fields":["food","drug","special_equipment"],"low_fine_discretion":["lighter","mitigated"],"periods_from":"publication","summary_not_published":true,"fraud_ban_months":36,"fraud_restarts_publication":true}'),
    ('samr-2025', 'national', 'market_supervision', '2025-12-25', NULL,
     '{"id":"samr-2025","name":"市场监督管理信用修复管理办法（市场监管总局令第107号）","jurisdiction":"national","sector":"market_supervision","effective_from":"2025-12-25","base":"","source":"市场监管总局令第107号《市场监督管理信用修复管理办法》（2025年12月25日起施行）；市场监管总局令第45号（行政处罚信息公示）","regulation":"《市场监督管理信用修复管理办法》","notes":["分类（第107号令第7-9条）：严重失信按领域和处罚种类认定，不按罚款数额。食品、药品、医疗器械、化妆品、特种设备、重点工业产品领域受到通报批评、较低数额罚款以外行政处罚的，以及限制开展生产经营活动、责令停产停业、限制从业、降低资质等级、吊销许可证件、吊销营业执照、责令关闭的，为严重；其余为一般（第9条）。","仅受警告处罚的不予公示；仅受通报批评或较低数额罚款（依从轻或减轻裁量，单位不超过5万元，第7条第3款）的，公示满3个月自动停止公示，无需申请。","降低资质等级、吊销许可证件、吊销营业执照、责令关闭的，公示期满前不得修复（第8条末款）；责令停产停业、限制开展生产经营活动、限制从业的，公示满1年且期限届满后方可申请。暂扣许可证件不在第8条之列，除所属领域外按一般失信处理。","修复还须未因同一类型违法行为（违法行为类型）再受行政处罚（第11条第3项）；列入严重违法失信名单的，须未再受到较重行政处罚（第13条）。弄虚作假的，原公示期重新计算。","公示期限自公示之日起计算（第45号令第13条）；适用简易程序的行政处罚信息不予公示（第45号令第2条）。","本系统假设（未能核对原文）：严重失信最长公示36个月、一般失信最长12个月；整体办理时限9个工作日（受理2+决定7）；异议各项期限沿用全国规则；“较重行政处罚”按《市场监督管理严重违法失信名单管理办法》第2条理解（从重罚款、降低资质等级、吊销、限制生产经营、停产停业、责令关闭、限制从业）。"],"classes":{"general":{"published":true,"max_publish_months":12,"min_publish_months":3,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"minor":{"published":true,"max_publish_months":3,"min_publish_months":0,"repairable_early":true,"requires_training":false,"requires_credit_report":false},"serious":{"published":true,"max_publish_months":36,"min_publish_months":12,"repairable_early":true,"requires_training":false,"requires_credit_report":false}},"deadlines":{"acceptance":2,"decision":7,"extension":10,"overall":9,"forwarding":1,"channel_withdrawal":3,"objection_mark":1,"objection_forward":1,"objection_verify":7,"objection_extension":10,"delivery":7,"publication":20,"revocation_withdrawal":3,"bankruptcy_shield":7},"warning_only_not_published":true,"low_fine_max_yuan":50000,"low_fine_auto_end_months":3,"no_new_same_penalty_required":true,"not_repairable_types":["license_downgrade","license_revocation","business_license_revocation","closure"],"classification":"field","serious_fields":["food","drug","medical_device","cosmetics","special_equipment","key_industrial_product"],"type_classes":{"license_suspension":"general"},"low_fine_discretion":["lighter","mitigated"],"periods_from":"publication","summary_not_published":true,"fraud_ban_months":36,"fraud_restarts_publication":true}'),
    ('js-zj-2026', '321100', '', '2026-04-01', 'ndrc-2026',
     '{"id":"js-zj-2026","name":"镇江市信用修复补充规则（严重失信主体修复须参加信用修复培训）","jurisdiction":"321100","sector":"","effective_from":"2026-04-01","base":"ndrc-2026","source":"《镇江市“十四五”社会信用体系建设规划》信用修复培训实践（示例性地方规则）","notes":["示例性地方规则：在ndrc-2026基础上，要求严重失信主体修复时提交信用修复培训合格证明。","随系统发布时未启用：第36号令第14、15条规定只有法律、法规、规章可以增设修复条件，管理员核实本地依据后方可启用。"],"overrides":{"classes":{"serious":{"requires_training":true}}},"inactive":true}')
ON CONFLICT (id) DO UPDATE SET jurisdiction = EXCLUDED.jurisdiction, sector = EXCLUDED.sector,
    effective_from = EXCLUDED.effective_from, base = EXCLUDED.base, params = EXCLUDED.params;
-- END GENERATED SEED
ALTER TABLE rule_sets ENABLE TRIGGER rule_sets_no_update;

-- A stored set stays immutable except for whether it is active: an admin activates a local overlay once its legal
-- basis is checked (NDRC Order 36 arts. 14-15), which changes no rule a case was judged by.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION rule_sets_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id = OLD.id AND NEW.jurisdiction = OLD.jurisdiction AND NEW.sector = OLD.sector
        AND NEW.effective_from = OLD.effective_from AND NEW.base IS NOT DISTINCT FROM OLD.base
        AND (NEW.params - 'inactive') = (OLD.params - 'inactive') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'rule_sets rows are immutable: add a new rule set instead of changing %', OLD.id;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION rule_sets_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rule_sets rows are immutable: add a new rule set instead of changing %', OLD.id;
END;
$$;
-- +goose StatementEnd
DROP INDEX penalties_uscc_violation;
ALTER TABLE penalties
    DROP COLUMN publish_minor,
    DROP COLUMN summary,
    DROP COLUMN published_on,
    DROP COLUMN violation_type,
    DROP COLUMN discretion,
    DROP COLUMN regulated_field;
