-- +goose Up
-- Which of a repair case's deadlines are provisional (counted over days whose holiday notice is not loaded yet):
-- shown as 暂定 and counted again when the notice is loaded (issue 13).
ALTER TABLE repairs ADD COLUMN provisional_deadlines text[] NOT NULL DEFAULT '{}';
CREATE INDEX repairs_provisional ON repairs (id) WHERE provisional_deadlines <> '{}' AND closed_at IS NULL;

-- +goose Down
DROP INDEX repairs_provisional;
ALTER TABLE repairs DROP COLUMN provisional_deadlines;
