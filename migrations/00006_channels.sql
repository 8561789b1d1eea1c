-- +goose Up
-- 一件通用 and 双公示 delivery (issue 4).

-- A channel's deadline is counted in working days and must stay within what the rules ask of any channel; a webhook
-- channel cannot be notified without its endpoint and shared secret.
ALTER TABLE channels
    ADD CONSTRAINT channels_deadline_range CHECK (deadline_workdays BETWEEN 1 AND 30),
    ADD CONSTRAINT channels_webhook_configured CHECK (kind <> 'webhook' OR (endpoint_url <> '' AND secret <> ''));

-- No re-insertion: a publication is never sent again once the record was ordered withdrawn, unless an explicit new
-- decision republished it; republished_at is that decision's time (orders before it no longer block), and the
-- reason says which decision it was.
ALTER TABLE publications
    ADD COLUMN republished_at   timestamptz,
    ADD COLUMN republish_reason text NOT NULL DEFAULT '';

-- The decision behind a withdrawal, as printed in its 告知函.
ALTER TABLE withdrawals
    ADD COLUMN cause_decision text NOT NULL DEFAULT '';
CREATE INDEX withdrawals_status ON withdrawals (status, id);
CREATE INDEX withdrawals_penalty ON withdrawals (penalty_id);

-- Who confirmed a channel (the operator's login, or 'webhook' for a channel system's 2xx answer), and when the
-- credit office was told a channel was late.
ALTER TABLE withdrawal_channels
    ADD COLUMN confirmed_by text NOT NULL DEFAULT '',
    ADD COLUMN overdue_at   timestamptz;
CREATE INDEX withdrawal_channels_channel ON withdrawal_channels (channel_id, status);

-- +goose Down
DROP INDEX withdrawal_channels_channel;
ALTER TABLE withdrawal_channels DROP COLUMN overdue_at, DROP COLUMN confirmed_by;
DROP INDEX withdrawals_penalty;
DROP INDEX withdrawals_status;
ALTER TABLE withdrawals DROP COLUMN cause_decision;
ALTER TABLE publications DROP COLUMN republish_reason, DROP COLUMN republished_at;
ALTER TABLE channels DROP CONSTRAINT channels_webhook_configured, DROP CONSTRAINT channels_deadline_range;
