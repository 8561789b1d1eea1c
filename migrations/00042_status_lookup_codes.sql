-- +goose Up
-- Public status lookup (issue 20): every repair application and objection carries a lookup code (查询码) that,
-- together with the enterprise's USCC, shows the case's current step at /status without a login. Codes are 12
-- hexadecimal characters (48 bits from PostgreSQL's strong random UUIDs); existing cases get theirs here, new rows
-- from the column default, so no writer has to know about them.
-- +goose StatementBegin
CREATE FUNCTION xinyong_lookup_code() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT upper(substr(md5(gen_random_uuid()::text), 1, 12))
$$;
-- +goose StatementEnd

ALTER TABLE repairs ADD COLUMN lookup_code text NOT NULL DEFAULT xinyong_lookup_code();
ALTER TABLE objections ADD COLUMN lookup_code text NOT NULL DEFAULT xinyong_lookup_code();
CREATE UNIQUE INDEX repairs_lookup_code ON repairs (lookup_code);
CREATE UNIQUE INDEX objections_lookup_code ON objections (lookup_code);

-- +goose Down
DROP INDEX IF EXISTS objections_lookup_code;
DROP INDEX IF EXISTS repairs_lookup_code;
ALTER TABLE objections DROP COLUMN IF EXISTS lookup_code;
ALTER TABLE repairs DROP COLUMN IF EXISTS lookup_code;
DROP FUNCTION IF EXISTS xinyong_lookup_code();
