-- The console: staff sessions, uploaded documents (by content hash), workers' self-service
-- filings waiting for the county, and the ledger as intake sees it (a projection of
-- ledger.transfer_posted, for the funds page).
CREATE TABLE console_sessions (
    session_id  text        PRIMARY KEY,
    org_code    text        NOT NULL,
    user_name   text        NOT NULL,
    csrf        text        NOT NULL,
    expires_at  timestamptz NOT NULL
);

CREATE TABLE documents (
    sha256        text        PRIMARY KEY,
    filename      text        NOT NULL,
    content_type  text        NOT NULL,
    content       bytea       NOT NULL,
    uploaded_by   text        NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE self_filings (
    reference       text        PRIMARY KEY,
    org_code        text        NOT NULL,
    student_lookup  text        NOT NULL,
    form            jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed')),
    application_id  text,
    confirmed_by    text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX self_filings_pending ON self_filings (org_code) WHERE status = 'pending';

CREATE TABLE ledger_view (
    sequence        bigint PRIMARY KEY,
    transfer_id     text   NOT NULL,
    debit_account   text   NOT NULL,
    credit_account  text   NOT NULL,
    amount_fen      bigint NOT NULL,
    application_id  text,
    kind            text   NOT NULL,
    hash            text   NOT NULL,
    recorded_at     text
);
CREATE INDEX ledger_view_debit ON ledger_view (debit_account);
CREATE INDEX ledger_view_credit ON ledger_view (credit_account);

-- 阳光就业 as intake sees it (from graduate.registered and employment_progress.recorded).
CREATE TABLE graduates_view (
    graduate_id      text    PRIMARY KEY,
    application_id   text    NOT NULL,
    origin_org       text    NOT NULL,
    graduation_year  integer NOT NULL,
    stage            text    NOT NULL DEFAULT 'enrolment',
    employer         text,
    history          jsonb   NOT NULL DEFAULT '[]'
);
CREATE INDEX graduates_view_org ON graduates_view (origin_org);

-- Donations and their donors' intents, for the funds page (from donation.received).
CREATE TABLE donations_view (
    donation_id          text    PRIMARY KEY,
    donor                text    NOT NULL,
    org_code             text    NOT NULL,
    amount_fen           bigint  NOT NULL,
    org_codes            text[]  NOT NULL,
    stages               text[]  NOT NULL,
    per_student_cap_fen  bigint
);
