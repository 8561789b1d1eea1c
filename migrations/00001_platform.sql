-- +goose Up
-- Reference data every later table points at.
CREATE TABLE departments (
    id          text PRIMARY KEY,            -- short stable code, e.g. 'scjgj'
    name        text NOT NULL UNIQUE,
    jurisdiction text NOT NULL DEFAULT 'national',
    sector      text NOT NULL DEFAULT 'general', -- 'market_supervision' selects samr rule sets
    contact     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enterprises (
    uscc                 char(18) PRIMARY KEY,
    name                 text NOT NULL,
    legal_representative text NOT NULL DEFAULT '',
    address              text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now()
);

-- Publishing channels; the channels issue adds delivery settings.
CREATE TABLE channels (
    id                text PRIMARY KEY,
    name              text NOT NULL UNIQUE,
    kind              text NOT NULL CHECK (kind IN ('webhook', 'manual')),
    deadline_workdays int  NOT NULL DEFAULT 3 CHECK (deadline_workdays > 0),
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    login         text NOT NULL UNIQUE,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('enterprise', 'department', 'credit_office', 'agency', 'channel_operator', 'admin')),
    uscc          char(18) REFERENCES enterprises(uscc),
    department_id text REFERENCES departments(id),
    channel_id    text REFERENCES channels(id),
    password_hash text NOT NULL,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- A principal's binding follows its role, so authorization never has to guess.
    CHECK ((role = 'enterprise') = (uscc IS NOT NULL)),
    CHECK ((role = 'department') = (department_id IS NOT NULL)),
    CHECK ((role = 'channel_operator') = (channel_id IS NOT NULL))
);

-- Browser sessions; only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users(id),
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    remote_addr text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Bearer tokens for systems; only the SHA-256 is stored.
CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    user_id     bigint NOT NULL REFERENCES users(id),
    name        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Failed logins, for throttling; kept short-lived by the login handler.
CREATE TABLE login_failures (
    id          bigserial PRIMARY KEY,
    login       text NOT NULL,
    remote_addr text NOT NULL DEFAULT '',
    failed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_login ON login_failures (login, failed_at);

-- The audit log: who did what to which case. Append-only (trigger below).
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,           -- login, or 'system' for workflows
    role       text NOT NULL,
    action     text NOT NULL,           -- e.g. 'penalty.register', 'session.login'
    case_kind  text NOT NULL DEFAULT '', -- penalty, repair, objection, training, withdrawal, user, ...
    case_id    text NOT NULL DEFAULT '',
    details    jsonb NOT NULL DEFAULT '{}'::jsonb,
    dedup_key  text UNIQUE               -- lets an activity retry without writing twice
);
CREATE INDEX audit_log_case ON audit_log (case_kind, case_id, at);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Idempotency-Key handling for writes: the first answer is replayed.
CREATE TABLE idempotency_keys (
    principal   text NOT NULL,
    key         text NOT NULL,
    method      text NOT NULL,
    path        text NOT NULL,
    body_hash   bytea NOT NULL,
    status      int,
    response    bytea,
    content_type text NOT NULL DEFAULT 'application/json',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);

-- Open work for a principal: a department's inbox, the credit office's queue, a channel operator's confirmations.
-- Written by workflow activities; (case_kind, case_id, step) is the key that makes a retried write a no-op.
CREATE TABLE tasks (
    id            bigserial PRIMARY KEY,
    case_kind     text NOT NULL,
    case_id       text NOT NULL,
    step          text NOT NULL,
    title         text NOT NULL,
    assignee_role text NOT NULL,
    department_id text REFERENCES departments(id),
    channel_id    text REFERENCES channels(id),
    uscc          char(18),
    due_on        date,
    overdue       boolean NOT NULL DEFAULT false,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    closed_at     timestamptz,
    UNIQUE (case_kind, case_id, step)
);
CREATE INDEX tasks_open ON tasks (assignee_role, status, due_on);

-- Messages to a principal (the enterprise is told it may apply, that its record is withdrawn, ...).
CREATE TABLE notifications (
    id          bigserial PRIMARY KEY,
    uscc        char(18),
    user_login  text,
    department_id text,
    kind        text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL DEFAULT '',
    case_kind   text NOT NULL DEFAULT '',
    case_id     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    dedup_key   text UNIQUE
);
CREATE INDEX notifications_uscc ON notifications (uscc, created_at);

-- +goose Down
DROP TABLE notifications;
DROP TABLE tasks;
DROP TABLE idempotency_keys;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE channels;
DROP TABLE enterprises;
DROP TABLE departments;
