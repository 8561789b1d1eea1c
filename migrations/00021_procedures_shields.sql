-- +goose Up
-- Bankruptcy shielding (破产重整/和解, Order 36 art. 20, Order 107 art. 22): the enterprise or its administrator
-- applies with the court's ruling; the department shields the enterprise's records it published (a withdrawal with
-- cause bankruptcy_shield) within the rule set's deadline; a court's termination of the plan restores them.
CREATE TABLE bankruptcy_shields (
    id                   bigserial PRIMARY KEY,
    uscc                 char(18) NOT NULL REFERENCES enterprises(uscc),
    department_id        text NOT NULL REFERENCES departments(id),
    procedure            text NOT NULL CHECK (procedure IN ('reorganization', 'settlement')),
    ruling_no            text NOT NULL,
    ruling_attachment_id bigint NOT NULL REFERENCES attachments(id),
    applicant            text NOT NULL,
    applicant_role       text NOT NULL CHECK (applicant_role IN ('enterprise', 'administrator')),
    administrator_name   text NOT NULL DEFAULT '',
    rule_set             text NOT NULL,
    applied_on           date NOT NULL,
    decision_due         date,
    status               text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'shielded', 'refused', 'restored')),
    decided_on           date,
    decision_no          text NOT NULL DEFAULT '',
    decision_reason      text NOT NULL DEFAULT '',
    record_ids           bigint[] NOT NULL DEFAULT '{}',
    restored_on          date,
    restore_ruling_no    text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bankruptcy_shields_uscc ON bankruptcy_shields (uscc, id);
CREATE INDEX bankruptcy_shields_department ON bankruptcy_shields (department_id, id);

-- +goose Down
DROP TABLE bankruptcy_shields;
