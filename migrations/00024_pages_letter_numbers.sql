-- +goose Up
-- Each issuer numbers each kind of letter per year from 1 without gaps: the row is locked by the
-- transaction that stores the letter, so a failed or concurrent issue never skips or repeats a number.
CREATE TABLE letter_counters (
    issuer text NOT NULL,
    series text NOT NULL,
    year   int  NOT NULL,
    last   int  NOT NULL,
    PRIMARY KEY (issuer, series, year)
);

-- +goose Down
DROP TABLE letter_counters;
