-- +goose Up
-- Hardening (issue 12): atomic login throttling, expiring API tokens, upload quota lookups.

-- One row per login that ever failed: a login attempt locks its row (SELECT ... FOR UPDATE) while it counts the
-- recent failures, checks the password and records the outcome, so parallel attempts are judged one at a time.
CREATE TABLE login_locks (
    login text PRIMARY KEY
);
CREATE INDEX login_failures_login_addr ON login_failures (login, remote_addr, failed_at);
CREATE INDEX login_failures_addr ON login_failures (remote_addr, failed_at);

-- Bearer tokens expire; tokens issued before this release get the default lifetime from today.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
UPDATE api_tokens SET expires_at = now() + interval '90 days' WHERE expires_at IS NULL;
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;

-- The per-user upload quota sums a user's recent uploads.
CREATE INDEX attachments_owner_created ON attachments (owner_user_id, created_at);

-- +goose Down
DROP INDEX attachments_owner_created;
ALTER TABLE api_tokens DROP COLUMN expires_at;
DROP INDEX login_failures_addr;
DROP INDEX login_failures_login_addr;
DROP TABLE login_locks;
