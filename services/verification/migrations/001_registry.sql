-- Registry projection (from union levels' events) and the decisions this service made.
CREATE TABLE hardship_files (
    household_id      text PRIMARY KEY,
    org_code          text NOT NULL,
    kind              text NOT NULL,
    status            text NOT NULL CHECK (status IN ('open', 'closed')),
    opened_on         date NOT NULL,
    closed_on         date
);

CREATE TABLE authorizations (
    household_id      text PRIMARY KEY,
    org_code          text NOT NULL,
    signed_on         date NOT NULL,
    signatories       integer NOT NULL
);

CREATE TABLE decisions (
    application_id    text PRIMARY KEY,
    org_code          text NOT NULL,
    decision          text NOT NULL CHECK (decision IN ('approved', 'rejected')),
    amount_fen        bigint NOT NULL DEFAULT 0,
    fund_sources      text[] NOT NULL DEFAULT '{}',
    rule_id           text,
    policy_version    text NOT NULL,
    reasons           text[] NOT NULL DEFAULT '{}',
    decided_at        timestamptz NOT NULL DEFAULT now()
);
