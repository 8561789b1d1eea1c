-- +goose Up
-- Departments as data: what letters print (full name with the city, short name, 机关代字 of 文号).
ALTER TABLE departments
    ADD COLUMN full_name  text NOT NULL DEFAULT '',
    ADD COLUMN short_name text NOT NULL DEFAULT '',
    ADD COLUMN doc_code   text NOT NULL DEFAULT '';

-- Accounts that people run: a new or reset account must choose its own password before anything else;
-- a department's lead may reassign cases; the admin page shows the last login.
ALTER TABLE users
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    ADD COLUMN is_lead              boolean NOT NULL DEFAULT false,
    ADD COLUMN last_login_at        timestamptz,
    ADD COLUMN password_changed_at  timestamptz;

-- One-time activation codes for enterprise accounts, printed on every 信用修复告知书. Only the SHA-256 of a code is
-- stored; a code works once and until it expires. Issuing a new code for a USCC retires the older ones.
CREATE TABLE activation_codes (
    id          bigserial PRIMARY KEY,
    uscc        char(18) NOT NULL REFERENCES enterprises(uscc),
    code_hash   bytea NOT NULL UNIQUE,
    issued_by   text NOT NULL,            -- login, or 'system' when a letter printed it (stored with the letter)
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    retired_at  timestamptz
);
CREATE INDEX activation_codes_uscc ON activation_codes (uscc, created_at);

-- Wrong activation attempts, per USCC, for throttling like logins.
CREATE TABLE activation_failures (
    id          bigserial PRIMARY KEY,
    uscc        text NOT NULL,
    remote_addr text NOT NULL DEFAULT '',
    failed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activation_failures_uscc ON activation_failures (uscc, failed_at);

-- The officer who handles a case in its department (claimed, or assigned by the department's lead). One row per
-- case; the history of changes is in the audit log under the case.
CREATE TABLE case_assignments (
    case_kind     text   NOT NULL,
    case_id       text   NOT NULL,
    department_id text   NOT NULL REFERENCES departments(id),
    user_id       bigint NOT NULL REFERENCES users(id),
    assigned_by   text   NOT NULL,
    assigned_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_kind, case_id)
);
CREATE INDEX case_assignments_user ON case_assignments (user_id);

-- The credit office files objections at the walk-in window, on behalf of the enterprise it names.
ALTER TABLE objections DROP CONSTRAINT objections_filed_by_role_check,
    ADD CONSTRAINT objections_filed_by_role_check CHECK (filed_by_role IN ('enterprise', 'department', 'credit_office'));

-- +goose Down
ALTER TABLE objections DROP CONSTRAINT objections_filed_by_role_check,
    ADD CONSTRAINT objections_filed_by_role_check CHECK (filed_by_role IN ('enterprise', 'department'));
DROP TABLE case_assignments;
DROP TABLE activation_failures;
DROP TABLE activation_codes;
ALTER TABLE users DROP COLUMN password_changed_at, DROP COLUMN last_login_at, DROP COLUMN is_lead, DROP COLUMN must_change_password;
ALTER TABLE departments DROP COLUMN doc_code, DROP COLUMN short_name, DROP COLUMN full_name;
