-- +goose Up
-- Applications pushed by a publishing channel or another platform (Order 36 arts. 13, 17: 信用中国 receives
-- applications, pushes them to the recognizing unit and gets the result back). One row per signed push: the
-- channel's Idempotency-Key keys it, so the same push twice creates one case; the row names the case it created and
-- records when its result was sent back (by InboundResultWorkflow, keyed inbound-<kind>-<case id>).
CREATE TABLE inbound_pushes (
    id               bigserial PRIMARY KEY,
    channel_id       text NOT NULL REFERENCES channels(id),
    push_key         text NOT NULL,
    case_kind        text NOT NULL CHECK (case_kind IN ('repair', 'objection')),
    case_id          bigint NOT NULL,
    body_sha256      bytea NOT NULL,
    pushed_at        timestamptz NOT NULL,
    external_ref     text NOT NULL DEFAULT '',
    received_at      timestamptz NOT NULL DEFAULT now(),
    result_outcome   text NOT NULL DEFAULT '',
    result_sent_at   timestamptz,
    result_reference text NOT NULL DEFAULT '',
    UNIQUE (channel_id, push_key),
    UNIQUE (case_kind, case_id)
);

-- +goose Down
DROP TABLE inbound_pushes;
