-- +goose Up
-- Credit repair (信用修复, issue 6): uploaded materials, repair cases, the materials each case references, and the
-- fraud bans that revoked repairs leave behind.

-- Uploaded materials (PDF, JPEG or PNG, checked by content), kept in PostgreSQL with their SHA-256. The uploader owns
-- a file; the enterprise it belongs to (uscc) and the departments and the credit office handling a case that
-- references it may read it too.
CREATE TABLE attachments (
    id            bigserial PRIMARY KEY,
    owner_user_id bigint NOT NULL REFERENCES users(id),
    owner_login   text NOT NULL,
    owner_role    text NOT NULL,
    uscc          char(18),
    department_id text REFERENCES departments(id),
    filename      text NOT NULL CHECK (filename <> '' AND filename !~ '[/\\]' AND length(filename) <= 200),
    content_type  text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes    int  NOT NULL CHECK (size_bytes > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_owner ON attachments (owner_user_id, id);
CREATE INDEX attachments_uscc ON attachments (uscc, id);

-- A repair case (repair-<id>): one application for one penalty record. The handler stores the application (with the
-- enterprise's acceptance of the credit commitment: who, when, from where) and starts the workflow; from then on
-- only the workflow's activities write the columns below the application's, each write carrying the workflow's
-- step number (seq) so that a late write never overwrites a newer one.
CREATE TABLE repairs (
    id                     bigserial PRIMARY KEY,
    penalty_id             bigint   NOT NULL REFERENCES penalties(id),
    uscc                   char(18) NOT NULL REFERENCES enterprises(uscc),
    department_id          text     NOT NULL REFERENCES departments(id),
    rule_set               text     NOT NULL REFERENCES rule_sets(id),  -- in force on the application date
    applied_on             date     NOT NULL,
    statement              text     NOT NULL DEFAULT '',
    applicant_login        text     NOT NULL,
    commitment_accepted_at timestamptz NOT NULL,
    commitment_remote_addr text     NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL DEFAULT now(),

    -- Written by the workflow.
    seq                    bigint   NOT NULL DEFAULT 0,
    status                 text     NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'waiting_conditions',
        'pending_acceptance', 'supplement_requested', 'verifying', 'rectifying', 'not_accepted', 'refused', 'approved',
        'closed', 'cancelled', 'revoked')),
    holder                 text     NOT NULL DEFAULT 'credit_office', -- who has to act: credit_office, department, enterprise, channels, ''
    round                  int      NOT NULL DEFAULT 0,               -- 1, 2, ... after each reopening (objection)
    waiting_training       boolean  NOT NULL DEFAULT false,           -- waits for a training certificate
    waiting_credit_report  boolean  NOT NULL DEFAULT false,           -- waits for a credit report
    received_on            date,                                      -- complete application at the department
    acceptance_due         date,
    accepted_on            date,
    decision_due           date,
    overall_due            date,
    supplement_due         date,
    rectification_due      date,
    rectification_submitted boolean NOT NULL DEFAULT false,
    rectification_missed   boolean  NOT NULL DEFAULT false,
    warning_interview_on   date,
    extended               boolean  NOT NULL DEFAULT false,
    supplement_requested   boolean  NOT NULL DEFAULT false,
    overdue                boolean  NOT NULL DEFAULT false,
    decided_on             date,
    decided_in_time        boolean,
    approved               boolean,
    decision_no            text     NOT NULL DEFAULT '',
    decision_reason        text     NOT NULL DEFAULT '',
    commitment_letter_id   bigint REFERENCES letters(id),
    training_letter_id     bigint REFERENCES letters(id),
    credit_report_attachment_id bigint REFERENCES attachments(id),
    withdrawal_id          bigint REFERENCES withdrawals(id),
    closed_at              timestamptz,
    updated_at             timestamptz NOT NULL DEFAULT now()
);
-- One open application per record (a refused, rejected or withdrawn one leaves room for a new one).
CREATE UNIQUE INDEX repairs_one_open_per_penalty ON repairs (penalty_id)
    WHERE status IN ('submitted', 'waiting_conditions', 'pending_acceptance', 'supplement_requested', 'verifying',
        'rectifying', 'approved');
CREATE INDEX repairs_uscc ON repairs (uscc, id);
CREATE INDEX repairs_department ON repairs (department_id, status, id);
CREATE INDEX repairs_status ON repairs (status, overdue, id);
CREATE INDEX repairs_waiting_training ON repairs (uscc) WHERE waiting_training;

-- The materials a case references: with the application, a supplement, a rectification, a credit report.
CREATE TABLE repair_attachments (
    repair_id     bigint NOT NULL REFERENCES repairs(id),
    attachment_id bigint NOT NULL REFERENCES attachments(id),
    purpose       text   NOT NULL CHECK (purpose IN ('application', 'supplement', 'rectification', 'credit_report')),
    added_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (repair_id, attachment_id)
);
CREATE INDEX repair_attachments_attachment ON repair_attachments (attachment_id);

-- A repair revoked for fraud (false materials, an untrue or broken commitment): the record cannot be repaired again
-- until banned_until is over (rule set fraud_ban_months, 36 under ndrc-2026 and samr-2025).
CREATE TABLE fraud_bans (
    id           bigserial PRIMARY KEY,
    repair_id    bigint   NOT NULL UNIQUE REFERENCES repairs(id),
    penalty_id   bigint   NOT NULL REFERENCES penalties(id),
    uscc         char(18) NOT NULL REFERENCES enterprises(uscc),
    reason       text     NOT NULL,
    revoked_on   date     NOT NULL,
    banned_until date     NOT NULL,
    letter_id    bigint REFERENCES letters(id),
    revoked_by   text     NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fraud_bans_penalty ON fraud_bans (penalty_id, banned_until);
CREATE INDEX fraud_bans_uscc ON fraud_bans (uscc);

-- +goose Down
DROP TABLE fraud_bans;
DROP TABLE repair_attachments;
DROP TABLE repairs;
DROP TABLE attachments;
