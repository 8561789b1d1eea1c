-- +goose Up
-- Provisional working-day deadlines of penalties, objections and withdrawals (counted over days whose holiday
-- notice is not loaded yet) with how each was counted (issue 13): shown as 暂定 and counted again from its origin
-- when the notice is loaded; a row recounted as final is removed. Repair cases keep theirs in
-- repairs.provisional_deadlines (00019).
CREATE TABLE case_deadlines (
    case_kind       text    NOT NULL,
    case_id         text    NOT NULL,
    name            text    NOT NULL,
    from_on         date    NOT NULL,
    workdays        int     NOT NULL CHECK (workdays >= 0),
    extend_workdays int     NOT NULL DEFAULT 0 CHECK (extend_workdays >= 0),
    due_on          date    NOT NULL,
    provisional     boolean NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_kind, case_id, name)
);
CREATE INDEX case_deadlines_provisional ON case_deadlines (due_on) WHERE provisional;

-- +goose Down
DROP TABLE case_deadlines;
