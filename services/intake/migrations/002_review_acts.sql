-- Who filed each application (the filer may not decide on it), what waits for a person, and
-- the reports of spreadsheet imports.
ALTER TABLE applications ADD COLUMN filed_by_org text;
ALTER TABLE applications ADD COLUMN filed_by_user text;
ALTER TABLE applications ADD COLUMN open_objections integer NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN notice_ends_on date;
CREATE INDEX applications_waiting ON applications (org_code) WHERE status IN ('manual_review', 'in_notice');

CREATE TABLE imports (
    import_id    text        PRIMARY KEY,
    org_code     text        NOT NULL,
    filename     text        NOT NULL,
    rows         integer     NOT NULL,
    accepted     integer     NOT NULL,
    refused      integer     NOT NULL,
    errors       jsonb       NOT NULL,
    header       jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
