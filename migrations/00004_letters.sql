-- +goose Up
-- Letters are rendered once from their data and never changed; a correction is a new version that supersedes the old.
CREATE TABLE letters (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL,
    case_kind     text NOT NULL,
    case_id       text NOT NULL,
    version       int  NOT NULL DEFAULT 1,
    title         text NOT NULL,
    number        text NOT NULL DEFAULT '',   -- 文号
    issuer        text NOT NULL,
    addressee     text NOT NULL,
    uscc          char(18),
    department_id text REFERENCES departments(id),
    issued_on     date NOT NULL,
    sha256        text NOT NULL,
    verify_code   text NOT NULL UNIQUE,
    pdf           bytea NOT NULL,
    data          jsonb NOT NULL DEFAULT '{}'::jsonb,
    superseded_by bigint REFERENCES letters(id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (case_kind, case_id, kind, version)
);
CREATE INDEX letters_case ON letters (case_kind, case_id);
CREATE INDEX letters_uscc ON letters (uscc);

-- +goose Down
DROP TABLE letters;
