-- +goose Up
-- Counters of the human steps (workflow updates) one principal sends to one case, per time window, so that nobody
-- can flood a shared case (a training session) with updates. Rows of past windows are deleted as new ones come.
CREATE TABLE step_rate_limits (
    key          text        NOT NULL,  -- '<user id>:<workflow id>:<window kind>'
    window_start timestamptz NOT NULL,
    hits         int         NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX step_rate_limits_window ON step_rate_limits (window_start);

-- +goose Down
DROP TABLE step_rate_limits;
