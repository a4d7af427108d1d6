-- 阳光就业 as employment publishes each file (graduate.recorded): the destination union, the
-- handoff, what was done; job fairs as unions declare them; reports sent up; and each campaign
-- day's report rows, kept when the clock moves on, for reports as of a past date.
ALTER TABLE graduates_view ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE graduates_view ADD COLUMN program text;
ALTER TABLE graduates_view ADD COLUMN handoff_id text;
ALTER TABLE graduates_view ADD COLUMN handoff_to text;
ALTER TABLE graduates_view ADD COLUMN handoff_status text;
ALTER TABLE graduates_view ADD COLUMN recommended text[] NOT NULL DEFAULT '{}';
ALTER TABLE graduates_view ADD COLUMN supports text[] NOT NULL DEFAULT '{}';
ALTER TABLE graduates_view ADD COLUMN subsidies text[] NOT NULL DEFAULT '{}';
CREATE INDEX graduates_view_handoff ON graduates_view (handoff_to);

CREATE TABLE job_fairs_view (
    fair_id      text    PRIMARY KEY,
    org_code     text    NOT NULL,
    name         text    NOT NULL,
    kind         text    NOT NULL,
    held_on      date    NOT NULL,
    posts        integer NOT NULL,
    openings     integer NOT NULL,
    internships  integer NOT NULL,
    post_list    jsonb   NOT NULL
);

CREATE TABLE report_submissions (
    org_code       text    NOT NULL,
    campaign_year  integer NOT NULL,
    deadline       text    NOT NULL,
    submitted_on   date    NOT NULL,
    submitted_by   text    NOT NULL,
    PRIMARY KEY (org_code, campaign_year, deadline)
);

CREATE TABLE report_snapshots (
    day   date  PRIMARY KEY,
    rows  jsonb NOT NULL
);
