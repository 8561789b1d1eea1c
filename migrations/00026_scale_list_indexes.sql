-- +goose Up
-- Indexes that match the enterprise- and department-scoped lists: the equality filter first, then the keyset order,
-- so a page is an index range read of LIMIT rows however many records the city holds (issue 17). The single-column
-- uscc indexes they replace are prefixes of the new ones.
CREATE INDEX penalties_uscc_id ON penalties (uscc, id);
DROP INDEX IF EXISTS penalties_uscc;

CREATE INDEX repairs_uscc_overdue_id ON repairs (uscc, overdue, id);
DROP INDEX IF EXISTS repairs_uscc;

CREATE INDEX objections_uscc_overdue_id ON objections (uscc, overdue, id);
DROP INDEX IF EXISTS objections_uscc;

-- Notifications are listed newest first by id for an enterprise or a department.
CREATE INDEX notifications_uscc_id ON notifications (uscc, id);
CREATE INDEX notifications_department_id ON notifications (department_id, id);
DROP INDEX IF EXISTS notifications_uscc;

-- Open tasks are listed by id within the principal's binding; closed tasks (the vast majority) stay out of them.
CREATE INDEX tasks_open_uscc ON tasks (uscc, id) WHERE status = 'open';
CREATE INDEX tasks_open_department ON tasks (department_id, id) WHERE status = 'open';

-- +goose Down
DROP INDEX tasks_open_department;
DROP INDEX tasks_open_uscc;
CREATE INDEX notifications_uscc ON notifications (uscc, created_at);
DROP INDEX notifications_department_id;
DROP INDEX notifications_uscc_id;
CREATE INDEX objections_uscc ON objections (uscc, id);
DROP INDEX objections_uscc_overdue_id;
CREATE INDEX repairs_uscc ON repairs (uscc, id);
DROP INDEX repairs_uscc_overdue_id;
CREATE INDEX penalties_uscc ON penalties (uscc);
DROP INDEX penalties_uscc_id;
