-- Registry details, duplicate detection, the review state of each application, public notice,
-- objections and campaign time.
ALTER TABLE hardship_files ADD COLUMN members text[] NOT NULL DEFAULT '{}';
ALTER TABLE authorizations ADD COLUMN signatory_ids text[] NOT NULL DEFAULT '{}';
ALTER TABLE authorizations ADD COLUMN revoked_on date;

CREATE TABLE household_checks (
    household_id  text PRIMARY KEY,
    checked_on    date NOT NULL,
    passed        boolean NOT NULL
);

CREATE TABLE warmth_visits (
    household_id  text NOT NULL,
    visited_on    date NOT NULL,
    PRIMARY KEY (household_id, visited_on)
);

CREATE TABLE gig_workers (
    household_id   text PRIMARY KEY,
    worker_kind    text NOT NULL,
    registered_on  date NOT NULL
);

-- The first filing of a student per program and campaign year, in log order.
CREATE TABLE filings (
    student_key     text    NOT NULL,
    program         text    NOT NULL,
    campaign_year   integer NOT NULL,
    application_id  text    NOT NULL,
    PRIMARY KEY (student_key, program, campaign_year)
);

CREATE TABLE reviews (
    application_id    text PRIMARY KEY,
    org_code          text NOT NULL,
    filed_by_org      text NOT NULL,
    filed_by_user     text NOT NULL,
    status            text NOT NULL CHECK (status IN ('manual_review', 'in_notice', 'approved', 'rejected')),
    entitlement       jsonb,
    notice_days       integer,
    notice_ends_on    date,
    open_objections   integer NOT NULL DEFAULT 0 CHECK (open_objections >= 0)
);
CREATE INDEX reviews_in_notice ON reviews (notice_ends_on) WHERE status = 'in_notice';

CREATE TABLE objections (
    objection_id    text PRIMARY KEY,
    application_id  text NOT NULL REFERENCES reviews (application_id),
    status          text NOT NULL CHECK (status IN ('open', 'upheld', 'dismissed')),
    raised_by       text NOT NULL,
    summary         text NOT NULL
);

CREATE TABLE clock (
    name   text PRIMARY KEY,
    today  date NOT NULL
);

ALTER TABLE decisions ADD COLUMN duplicate_of text;
