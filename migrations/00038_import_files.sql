-- +goose Up
-- The file each penalty import was made from (issue 19), so its per-row results can be given back as the
-- department's own rows with a result column. Only the import's own department and the office read it.
CREATE TABLE penalty_import_files (
    import_id  bigint PRIMARY KEY REFERENCES penalty_imports(id),
    content    bytea NOT NULL
);

-- +goose Down
DROP TABLE penalty_import_files;
