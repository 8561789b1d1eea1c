-- +goose Up
-- Statistics of the credit office and the departments (issue 19): the figures are read by period with range scans
-- over these date columns, so a request reads only the cases of its period, never every case.
CREATE INDEX repairs_applied_on ON repairs (applied_on, department_id);
CREATE INDEX repairs_accepted_on ON repairs (accepted_on, department_id) WHERE accepted_on IS NOT NULL;
CREATE INDEX repairs_decided_on ON repairs (decided_on, department_id) WHERE decided_on IS NOT NULL;
CREATE INDEX objections_filed_on ON objections (filed_on, department_id);
CREATE INDEX objections_resolved_on ON objections (resolved_on, department_id) WHERE resolved_on IS NOT NULL;
CREATE INDEX withdrawal_channels_confirmed_at ON withdrawal_channels (confirmed_at) WHERE confirmed_at IS NOT NULL;
CREATE INDEX trainings_starts_at ON trainings (starts_at);
CREATE INDEX training_certificates_created_at ON training_certificates (created_at);

-- stats_workdays counts the working days after a up to and including b, as domain.Calendar.WorkdaysBetween does:
-- a day listed by a holiday notice is what the notice says; otherwise Monday to Friday are working days, except the
-- fixed-date statutory holidays (1 January, 1-2 May, 1-3 October) in a year whose notice is not loaded.
-- +goose StatementBegin
CREATE FUNCTION stats_workdays(a date, b date) RETURNS int LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN a IS NULL OR b IS NULL THEN NULL
        WHEN b < a THEN -stats_workdays(b, a)
        ELSE (SELECT count(*)::int FROM generate_series(a + 1, b, interval '1 day') AS g(t)
            LEFT JOIN calendar_days c ON c.day = g.t::date
            WHERE CASE WHEN c.day IS NOT NULL THEN NOT c.off_day
                ELSE extract(isodow FROM g.t) < 6
                    AND NOT (to_char(g.t, 'MM-DD') IN ('01-01', '05-01', '05-02', '10-01', '10-02', '10-03')
                        AND NOT EXISTS (SELECT 1 FROM calendar_years y WHERE y.year = extract(year FROM g.t)::int))
            END)
    END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION stats_workdays(date, date);
DROP INDEX training_certificates_created_at;
DROP INDEX trainings_starts_at;
DROP INDEX withdrawal_channels_confirmed_at;
DROP INDEX objections_resolved_on;
DROP INDEX objections_filed_on;
DROP INDEX repairs_decided_on;
DROP INDEX repairs_accepted_on;
DROP INDEX repairs_applied_on;
