-- +goose Up
-- Credit-repair training (信用修复培训). The credit office plans a session; the training workflow (training-<id>)
-- owns everything that happens to it afterwards, and its activities mirror its state here for the pages and lists.

-- A session: written once by the credit office's request, then only its status, plan letter and closing time change
-- (by the workflow's activities).
CREATE TABLE trainings (
    id             bigserial PRIMARY KEY,
    title          text NOT NULL,
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    venue          text NOT NULL,                 -- a place, or the address of an online session
    capacity       int  NOT NULL CHECK (capacity BETWEEN 1 AND 500),
    class_hours    int  NOT NULL CHECK (class_hours >= 3),
    agency_login   text NOT NULL REFERENCES users(login), -- the credit service agency that runs the session and test
    agency_name    text NOT NULL,
    pass_score     int  NOT NULL CHECK (pass_score BETWEEN 0 AND 100),
    organizer      text NOT NULL,                 -- the credit office that organizes it: issuer of plan and certificates
    status         text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'open', 'started', 'closed')),
    plan_letter_id bigint REFERENCES letters(id), -- the 培训方案
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz,
    closed_by      text,
    CHECK (ends_at > starts_at)
);
CREATE INDEX trainings_agency ON trainings (agency_login, id);
CREATE INDEX trainings_status ON trainings (status, starts_at);

-- Enrollment, attendance and the test result of one enterprise at one session, in one row: the workflow decides
-- them together (capacity, waiting list, who may sit the test) and writes the whole row each time, with its own
-- revision counter, so a write that arrives late (a retried activity) never overwrites a newer one.
CREATE TABLE training_enrollments (
    training_id       bigint   NOT NULL REFERENCES trainings(id),
    uscc              char(18) NOT NULL REFERENCES enterprises(uscc),
    status            text     NOT NULL CHECK (status IN ('enrolled', 'waitlisted', 'cancelled')),
    waitlist_position int,     -- 1 is the next to move up
    enrolled_by       text     NOT NULL,            -- login of the enterprise or of the department that enrolled it
    enrolled_by_role  text     NOT NULL,
    department_id     text REFERENCES departments(id),
    enrolled_at       timestamptz NOT NULL,
    cancelled_at      timestamptz,
    cancelled_by      text,
    -- Attendance (签到): who came for the enterprise, its legal representative or responsible manager.
    attended          boolean,
    attendee_name     text NOT NULL DEFAULT '',
    attendee_role     text NOT NULL DEFAULT '' CHECK (attendee_role IN ('', 'legal_representative', 'responsible_manager')),
    attendance_by     text,
    attendance_at     timestamptz,
    -- The test (考试) result.
    score             int CHECK (score BETWEEN 0 AND 100),
    score_by          text,
    score_at          timestamptz,
    rev               bigint NOT NULL,              -- the workflow's revision of this row
    PRIMARY KEY (training_id, uscc),
    CHECK ((status = 'waitlisted') = (waitlist_position IS NOT NULL))
);
CREATE INDEX training_enrollments_uscc ON training_enrollments (uscc);

-- Certificates (培训证明): one per enterprise and session, for attendance plus a passed test.
CREATE TABLE training_certificates (
    training_id bigint   NOT NULL REFERENCES trainings(id),
    uscc        char(18) NOT NULL REFERENCES enterprises(uscc),
    letter_id   bigint   NOT NULL UNIQUE REFERENCES letters(id),
    score       int      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (training_id, uscc)
);
CREATE INDEX training_certificates_uscc ON training_certificates (uscc, created_at);

-- Rectification deadlines a department set for an enterprise it met at a session (the training-side note; a repair
-- case's own rectification deadline is set in that case).
CREATE TABLE training_rectifications (
    training_id   bigint   NOT NULL REFERENCES trainings(id),
    uscc          char(18) NOT NULL REFERENCES enterprises(uscc),
    department_id text     NOT NULL REFERENCES departments(id),
    due_on        date     NOT NULL,
    requirements  text     NOT NULL,
    set_by        text     NOT NULL,
    set_at        timestamptz NOT NULL,
    rev           bigint   NOT NULL,
    PRIMARY KEY (training_id, uscc, department_id)
);

-- The credit office's rating of the agency's session (1 to 5).
CREATE TABLE training_ratings (
    training_id bigint PRIMARY KEY REFERENCES trainings(id),
    score       int  NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     text NOT NULL DEFAULT '',
    rated_by    text NOT NULL,
    rated_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE training_ratings;
DROP TABLE training_rectifications;
DROP TABLE training_certificates;
DROP TABLE training_enrollments;
DROP TABLE trainings;
