-- +goose Up
-- Channel delivery settings (一件通用): a webhook channel's endpoint and shared secret; a department's own site
-- publishes only that department's records.
ALTER TABLE channels
    ADD COLUMN endpoint_url  text NOT NULL DEFAULT '',
    ADD COLUMN secret        text NOT NULL DEFAULT '',
    ADD COLUMN department_id text REFERENCES departments(id),
    ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now();

-- Administrative penalties (行政处罚) registered by departments; the penalty workflow owns their status.
CREATE TABLE penalties (
    id                   bigserial PRIMARY KEY,
    department_id        text NOT NULL REFERENCES departments(id),
    decision_no          text NOT NULL,
    uscc                 char(18) NOT NULL REFERENCES enterprises(uscc),
    enterprise_name      text NOT NULL,
    decided_on           date NOT NULL,
    penalty_types        text[] NOT NULL,
    fine_amount_yuan     numeric(16, 2) NOT NULL DEFAULT 0,
    class                text NOT NULL CHECK (class IN ('minor', 'general', 'serious')),
    class_given          boolean NOT NULL DEFAULT false,
    duration_months      int NOT NULL DEFAULT 0,
    facts                text NOT NULL DEFAULT '',
    legal_basis          text NOT NULL DEFAULT '',
    rule_set             text NOT NULL,
    published            boolean NOT NULL,
    publish_due          date NOT NULL,
    repair_eligible_from date NOT NULL,
    publication_ends     date NOT NULL,
    status               text NOT NULL DEFAULT 'registered',
    delivery_method      text,
    delivered_on         date,
    delivery_signed_by   text,
    delivery_witness     text,
    flagged_objection    boolean NOT NULL DEFAULT false,
    import_id            bigint,
    import_row           int,
    created_by           text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (department_id, decision_no)
);
CREATE INDEX penalties_uscc ON penalties (uscc);
CREATE INDEX penalties_status ON penalties (status);

-- Where each record is (or was) public, channel by channel.
CREATE TABLE publications (
    penalty_id   bigint NOT NULL REFERENCES penalties(id),
    channel_id   text NOT NULL REFERENCES channels(id),
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'published', 'overdue', 'failed', 'withdrawn')),
    due_on       date,
    attempts     int NOT NULL DEFAULT 0,
    published_at timestamptz,
    withdrawn_at timestamptz,
    reference    text NOT NULL DEFAULT '',
    last_error   text NOT NULL DEFAULT '',
    PRIMARY KEY (penalty_id, channel_id)
);

-- One withdrawal order per record and cause (一件通用).
CREATE TABLE withdrawals (
    id            bigserial PRIMARY KEY,
    penalty_id    bigint NOT NULL REFERENCES penalties(id),
    cause         text NOT NULL CHECK (cause IN ('repair', 'expiry', 'objection', 'revocation')),
    cause_ref     text NOT NULL DEFAULT '',   -- the decision behind it: repair case, objection, revocation
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'completed')),
    letter_id     bigint REFERENCES letters(id),
    ordered_on    date NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    UNIQUE (penalty_id, cause)
);

CREATE TABLE withdrawal_channels (
    withdrawal_id bigint NOT NULL REFERENCES withdrawals(id),
    channel_id    text NOT NULL REFERENCES channels(id),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'confirmed', 'overdue', 'failed')),
    attempts      int NOT NULL DEFAULT 0,
    due_on        date NOT NULL,
    sent_at       timestamptz,
    confirmed_at  timestamptz,
    reference     text NOT NULL DEFAULT '',
    last_error    text NOT NULL DEFAULT '',
    PRIMARY KEY (withdrawal_id, channel_id)
);

-- +goose Down
DROP TABLE withdrawal_channels;
DROP TABLE withdrawals;
DROP TABLE publications;
DROP TABLE penalties;
ALTER TABLE channels DROP COLUMN endpoint_url, DROP COLUMN secret, DROP COLUMN department_id, DROP COLUMN updated_at;
