-- +goose Up
-- The home pages at 1,000,000 records (issue 17).
--
-- A department's home page lists its open tasks assigned to the department role. tasks_open_department (department_id,
-- id) found every open task of the department, of every role, and dropped the enterprises' own: 50,000 rows read for
-- none kept (88 ms). This index holds the role too, in the inbox's order.
CREATE INDEX tasks_open_department_inbox ON tasks (department_id, assignee_role, overdue DESC, due_on, id) WHERE status = 'open';

-- The credit office's home page lists the oldest records not delivered, and not published, after their deadline. By
-- the primary key that is quick only while such records are common; once they are rare (as they should be) it
-- reads the whole table to find twenty. These hold only the records still to be delivered or published.
CREATE INDEX penalties_undelivered ON penalties (id) WHERE delivered_on IS NULL AND status NOT IN ('withdrawn', 'revoked');
CREATE INDEX penalties_unpublished ON penalties (id) WHERE published AND status IN ('registered', 'notice_issued', 'delivered');

-- +goose Down
DROP INDEX penalties_unpublished;
DROP INDEX penalties_undelivered;
DROP INDEX tasks_open_department_inbox;
