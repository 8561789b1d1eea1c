-- +goose Up
-- The penalty lifecycle's own facts: the delivery deadline computed at registration (so lists can show overdue
-- deliveries without replaying workflows), the electronic-delivery consent, a revocation of the decision, and when
-- the lifecycle workflow was started (registration and imports set it; NULL means "not started yet").
ALTER TABLE penalties
    ADD COLUMN delivery_due         date,
    ADD COLUMN delivery_consent     boolean NOT NULL DEFAULT false,
    ADD COLUMN delivery_recorded_by text,
    ADD COLUMN revoked_on           date,
    ADD COLUMN revocation_reason    text,
    ADD COLUMN lifecycle_started_at timestamptz,
    ADD CONSTRAINT penalties_status_check CHECK (status IN ('registered', 'notice_issued', 'delivered', 'published',
        'eligible', 'withdrawing', 'withdrawn', 'revoked')),
    ADD CONSTRAINT penalties_delivery_method_check CHECK (delivery_method IS NULL OR delivery_method IN
        ('in_person', 'post', 'electronic', 'refused'));
CREATE INDEX penalties_department ON penalties (department_id, id);
CREATE INDEX penalties_import ON penalties (import_id, import_row) WHERE import_id IS NOT NULL;

-- A CSV import of penalties by a department: the rows are validated and stored at once, the lifecycles are started
-- by the durable import workflow (import-<id>), which counts its progress here.
CREATE TABLE penalty_imports (
    id                 bigserial PRIMARY KEY,
    department_id      text NOT NULL REFERENCES departments(id),
    created_by         text NOT NULL,
    filename           text NOT NULL DEFAULT '',
    sha256             text NOT NULL,
    total_rows         int NOT NULL,
    registered         int NOT NULL,   -- new penalties stored by this import
    already_registered int NOT NULL,   -- rows whose decision number the department had registered before
    rejected           int NOT NULL,   -- rows with errors, stored nowhere but in penalty_import_rows
    to_start           int NOT NULL,   -- lifecycles this import has to start
    started            int NOT NULL DEFAULT 0,
    status             text NOT NULL DEFAULT 'starting' CHECK (status IN ('starting', 'completed')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz
);
CREATE INDEX penalty_imports_department ON penalty_imports (department_id, id);

-- The per-row outcome of an import: row is the CSV record number (the header is row 1).
CREATE TABLE penalty_import_rows (
    import_id   bigint NOT NULL REFERENCES penalty_imports(id),
    row_no      int NOT NULL,
    decision_no text NOT NULL DEFAULT '',
    status      text NOT NULL CHECK (status IN ('registered', 'already_registered', 'rejected')),
    penalty_id  bigint REFERENCES penalties(id),
    code        text NOT NULL DEFAULT '',
    field       text NOT NULL DEFAULT '',
    message     text NOT NULL DEFAULT '',
    needs_start boolean NOT NULL DEFAULT false, -- its lifecycle was not started when the file came in
    PRIMARY KEY (import_id, row_no)
);
ALTER TABLE penalties ADD CONSTRAINT penalties_import_fk FOREIGN KEY (import_id) REFERENCES penalty_imports(id);

-- +goose Down
ALTER TABLE penalties DROP CONSTRAINT penalties_import_fk;
DROP TABLE penalty_import_rows;
DROP TABLE penalty_imports;
DROP INDEX penalties_import;
DROP INDEX penalties_department;
ALTER TABLE penalties
    DROP CONSTRAINT penalties_delivery_method_check,
    DROP CONSTRAINT penalties_status_check,
    DROP COLUMN lifecycle_started_at,
    DROP COLUMN revocation_reason,
    DROP COLUMN revoked_on,
    DROP COLUMN delivery_recorded_by,
    DROP COLUMN delivery_consent,
    DROP COLUMN delivery_due;
