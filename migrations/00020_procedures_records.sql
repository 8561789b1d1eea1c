-- +goose Up
-- Records that are not administrative penalties (issue 14) share the penalties table, so that publication on every
-- channel and withdrawal (一件通用) work for them unchanged: a fraud record (弄虚作假失信记录, published for three
-- years by itself), a business-abnormality list entry (经营异常名录) and a serious-dishonesty listing (严重失信主体
-- 名单). rests_on is the record another rests on: the penalty whose repair found the fraud, the penalty a serious
-- listing rests on. listing_cause is an abnormal entry's cause (annual_report, disclosure, address, ...).
ALTER TABLE penalties
    ADD COLUMN record_kind   text NOT NULL DEFAULT 'penalty'
        CHECK (record_kind IN ('penalty', 'fraud_record', 'abnormal_list', 'serious_list')),
    ADD COLUMN rests_on      bigint REFERENCES penalties(id),
    ADD COLUMN listing_cause text NOT NULL DEFAULT '';
CREATE INDEX penalties_rests_on ON penalties (rests_on) WHERE rests_on IS NOT NULL;
CREATE INDEX penalties_record_kind ON penalties (record_kind, uscc) WHERE record_kind <> 'penalty';

-- The fraud record published for a fraud found in a repair (refused or revoked), when there is one.
ALTER TABLE fraud_bans ADD COLUMN record_id bigint REFERENCES penalties(id);

-- A bankruptcy shield (破产重整/和解) takes records off every channel for its own cause.
ALTER TABLE withdrawals DROP CONSTRAINT withdrawals_cause_check;
ALTER TABLE withdrawals ADD CONSTRAINT withdrawals_cause_check
    CHECK (cause IN ('repair', 'expiry', 'objection', 'revocation', 'bankruptcy_shield'));

-- +goose Down
ALTER TABLE withdrawals DROP CONSTRAINT withdrawals_cause_check;
ALTER TABLE withdrawals ADD CONSTRAINT withdrawals_cause_check
    CHECK (cause IN ('repair', 'expiry', 'objection', 'revocation'));
ALTER TABLE fraud_bans DROP COLUMN record_id;
DROP INDEX penalties_record_kind;
DROP INDEX penalties_rests_on;
ALTER TABLE penalties DROP COLUMN listing_cause, DROP COLUMN rests_on, DROP COLUMN record_kind;
