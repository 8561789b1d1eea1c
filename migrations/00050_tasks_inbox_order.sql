-- +goose Up
-- The home page's inbox takes its order in SQL (overdue first, then the nearest deadline) so that its first page
-- is right however many tasks are open; this index lets the office's inbox read that page as a range (issue 17).
CREATE INDEX tasks_open_inbox ON tasks (assignee_role, overdue DESC, due_on, id) WHERE status = 'open';

-- +goose Down
DROP INDEX tasks_open_inbox;
