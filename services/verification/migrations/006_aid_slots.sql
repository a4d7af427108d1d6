-- One aid per student and year within a group of mutually exclusive programs (the policy's
-- `exclusive_programs`), held by the first live or approved filing in log order; a rejected
-- filing gives its slot up, so a corrected filing can take it.
CREATE TABLE aid_slots (
    student_key     text    NOT NULL,
    campaign_year   integer NOT NULL,
    aid_group       text    NOT NULL,
    application_id  text    NOT NULL UNIQUE,
    PRIMARY KEY (student_key, campaign_year, aid_group)
);
INSERT INTO aid_slots SELECT student_key, campaign_year, program, application_id FROM filings;
DROP TABLE filings;
