-- +goose Up
-- An import whose job (import-<id>) ran and ended without completing — failed, terminated by an operator or timed
-- out — used to stay `starting` for ever. The reconciler now marks it `failed` with the reason (failure) and the
-- time, and the import page shows it; an operator who starts the job again brings it back to `starting`, and it
-- completes as usual (docs/reconciler.md).
ALTER TABLE penalty_imports DROP CONSTRAINT IF EXISTS penalty_imports_status_check;
ALTER TABLE penalty_imports ADD CONSTRAINT penalty_imports_status_check
    CHECK (status IN ('starting', 'completed', 'failed'));
ALTER TABLE penalty_imports ADD COLUMN failure text NOT NULL DEFAULT '';
ALTER TABLE penalty_imports ADD COLUMN failed_at timestamptz;

-- +goose Down
UPDATE penalty_imports SET status = 'starting' WHERE status = 'failed';
ALTER TABLE penalty_imports DROP COLUMN IF EXISTS failed_at;
ALTER TABLE penalty_imports DROP COLUMN IF EXISTS failure;
ALTER TABLE penalty_imports DROP CONSTRAINT IF EXISTS penalty_imports_status_check;
ALTER TABLE penalty_imports ADD CONSTRAINT penalty_imports_status_check CHECK (status IN ('starting', 'completed'));
