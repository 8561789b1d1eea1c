-- +goose Up
-- Objections (异议处理, issue 7): an enterprise (or the recognizing department on its behalf) objects to a record or to
-- a refused repair; objection-<id> marks the record "异议处理中" on every channel that shows it, forwards the case to
-- the department, waits for its answer (corrected, withdrawn or upheld), propagates it to every channel and answers
-- the applicant with a letter. A corrected record keeps its earlier versions in penalty_versions.

-- A record's version: 1 as registered, one more for every correction.
ALTER TABLE penalties ADD COLUMN version int NOT NULL DEFAULT 1 CHECK (version >= 1);

-- An objection case. The handler stores the application (with the applicant's acceptance of the objection
-- commitment) and starts the workflow; from then on only the workflow's activities write the columns below the
-- application's, each write carrying the workflow's step number (seq) so a late write never overwrites a newer one.
CREATE TABLE objections (
    id                     bigserial PRIMARY KEY,
    penalty_id             bigint   NOT NULL REFERENCES penalties(id),
    uscc                   char(18) NOT NULL REFERENCES enterprises(uscc), -- the applicant: the record's enterprise
    department_id          text     NOT NULL REFERENCES departments(id),   -- the recognizing department
    repair_id              bigint REFERENCES repairs(id),                   -- against_refusal: the refused repair case
    grounds                text     NOT NULL CHECK (grounds IN ('not_mine', 'wrong_content', 'duplicate',
        'should_not_publish', 'overdue_publication', 'inconsistent', 'against_refusal')),
    statement              text     NOT NULL DEFAULT '',
    rule_set               text     NOT NULL REFERENCES rule_sets(id),      -- in force on the filing date
    filed_on               date     NOT NULL,
    filed_by               text     NOT NULL,                               -- login of the enterprise or department user
    filed_by_role          text     NOT NULL CHECK (filed_by_role IN ('enterprise', 'department')),
    commitment_accepted_at timestamptz NOT NULL,
    commitment_remote_addr text     NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL DEFAULT now(),
    CHECK ((grounds = 'against_refusal') = (repair_id IS NOT NULL)),

    -- Written by the workflow.
    seq                    bigint   NOT NULL DEFAULT 0,
    status                 text     NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'verifying', 'resolved', 'closed')),
    holder                 text     NOT NULL DEFAULT 'credit_office', -- credit_office, department, channels, ''
    mark_due               date,                                      -- every channel marks the record by then
    marked_on              date,                                      -- the day the last channel confirmed its mark
    forward_due            date,
    forwarded_on           date,
    verify_due             date,                                      -- the department answers by then (after an extension: the new date)
    original_verify_due    date,
    extended               boolean  NOT NULL DEFAULT false,
    extended_on            date,
    extension_reason       text     NOT NULL DEFAULT '',
    overdue                boolean  NOT NULL DEFAULT false,
    outcome                text CHECK (outcome IS NULL OR outcome IN ('corrected', 'withdrawn', 'upheld')),
    outcome_reason         text     NOT NULL DEFAULT '',
    corrections            jsonb    NOT NULL DEFAULT '{}'::jsonb,      -- corrected: {field: new value}
    resolved_on            date,
    resolved_by            text     NOT NULL DEFAULT '',
    resolved_in_time       boolean,
    result_no              text     NOT NULL DEFAULT '',               -- 文号 of the 异议处理结果告知书
    penalty_version        int,                                       -- corrected: the record's version after it
    commitment_letter_id   bigint REFERENCES letters(id),
    extension_letter_id    bigint REFERENCES letters(id),
    result_letter_id       bigint REFERENCES letters(id),
    withdrawal_id          bigint REFERENCES withdrawals(id),
    repair_reopened        boolean  NOT NULL DEFAULT false,
    closed_at              timestamptz,
    updated_at             timestamptz NOT NULL DEFAULT now()
);
-- One open objection per record (or refused repair) and applicant.
CREATE UNIQUE INDEX objections_one_open ON objections (penalty_id, uscc, COALESCE(repair_id, 0)) WHERE status <> 'closed';
CREATE INDEX objections_uscc ON objections (uscc, id);
CREATE INDEX objections_department ON objections (department_id, status, id);
CREATE INDEX objections_status ON objections (status, overdue, id);

-- The evidence an objection references.
CREATE TABLE objection_attachments (
    objection_id  bigint NOT NULL REFERENCES objections(id),
    attachment_id bigint NOT NULL REFERENCES attachments(id),
    added_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (objection_id, attachment_id)
);
CREATE INDEX objection_attachments_attachment ON objection_attachments (attachment_id);

-- What each channel is asked to do for an objection: mark the record "异议处理中", remove the mark (upheld), or show
-- the corrected record (corrected, which removes the mark too). Webhook channels confirm with a 2xx answer, manual
-- channels' operators on the platform.
CREATE TABLE objection_channels (
    objection_id bigint NOT NULL REFERENCES objections(id),
    channel_id   text   NOT NULL REFERENCES channels(id),
    action       text   NOT NULL CHECK (action IN ('mark', 'unmark', 'correct')),
    status       text   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'confirmed', 'overdue', 'failed', 'cancelled')),
    due_on       date   NOT NULL,
    attempts     int    NOT NULL DEFAULT 0,
    sent_at      timestamptz,
    confirmed_at timestamptz,
    overdue_at   timestamptz,
    confirmed_by text   NOT NULL DEFAULT '',
    reference    text   NOT NULL DEFAULT '',
    last_error   text   NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (objection_id, channel_id, action)
);
CREATE INDEX objection_channels_channel ON objection_channels (channel_id, status);

-- The "异议处理中" mark of a record on a channel, and the version of the record the channel shows.
ALTER TABLE publications
    ADD COLUMN marked_objection  boolean NOT NULL DEFAULT false,
    ADD COLUMN marked_at         timestamptz,
    ADD COLUMN mark_objection_id bigint REFERENCES objections(id),
    ADD COLUMN record_version    int NOT NULL DEFAULT 1,
    ADD COLUMN corrected_at      timestamptz;

-- A record's earlier versions: the values a correction replaced, kept for good (append-only).
CREATE TABLE penalty_versions (
    penalty_id       bigint NOT NULL REFERENCES penalties(id),
    version          int    NOT NULL,          -- the version these values were
    decision_no      text   NOT NULL,
    enterprise_name  text   NOT NULL,
    decided_on       date   NOT NULL,
    penalty_types    text[] NOT NULL,
    fine_amount_yuan numeric(16, 2) NOT NULL,
    facts            text   NOT NULL,
    legal_basis      text   NOT NULL,
    changes          jsonb  NOT NULL,          -- {field: {"from": old, "to": new}}
    objection_id     bigint NOT NULL UNIQUE REFERENCES objections(id), -- the objection that corrected it
    reason           text   NOT NULL DEFAULT '',
    corrected_by     text   NOT NULL DEFAULT '',
    superseded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (penalty_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION penalty_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'penalty_versions is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER penalty_versions_no_update BEFORE UPDATE OR DELETE OR TRUNCATE ON penalty_versions
    FOR EACH STATEMENT EXECUTE FUNCTION penalty_versions_append_only();

-- +goose Down
DROP TRIGGER penalty_versions_no_update ON penalty_versions;
DROP FUNCTION penalty_versions_append_only();
DROP TABLE penalty_versions;
ALTER TABLE publications DROP COLUMN corrected_at, DROP COLUMN record_version, DROP COLUMN mark_objection_id,
    DROP COLUMN marked_at, DROP COLUMN marked_objection;
DROP TABLE objection_channels;
DROP TABLE objection_attachments;
DROP TABLE objections;
ALTER TABLE penalties DROP COLUMN version;
