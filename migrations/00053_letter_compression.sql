-- +goose Up
-- Letters' PDFs (about 100 KB each, their font subsets stored uncompressed inside) were compressed by PostgreSQL's
-- default pglz on every insert: 6 ms of the server's processor per letter, two letters per registration, taken
-- while the series' counter row is locked (issue 17). lz4 compresses them about as well at a fraction of the cost.
-- Existing values keep their compression; a server built without lz4 keeps pglz.
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE letters ALTER COLUMN pdf SET COMPRESSION lz4;
    ALTER TABLE attachments ALTER COLUMN content SET COMPRESSION lz4;
    ALTER TABLE penalty_import_files ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER TABLE penalty_import_files ALTER COLUMN content SET COMPRESSION default;
ALTER TABLE attachments ALTER COLUMN content SET COMPRESSION default;
ALTER TABLE letters ALTER COLUMN pdf SET COMPRESSION default;
