-- Intake's read model: one row per application with its status history.
CREATE TABLE applications (
    application_id  text        PRIMARY KEY,
    submission_id   text        NOT NULL,
    org_code        text        NOT NULL,
    status          text        NOT NULL,
    amount_fen      bigint,
    reasons         text[]      NOT NULL DEFAULT '{}',
    history         jsonb       NOT NULL DEFAULT '[]',
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_code, submission_id)
);
