-- The append-only double-entry ledger, its head (serialises writers: gap-free sequence in commit
-- order), account totals, donor intents and the payment of each approved application.
CREATE TABLE ledger_entries (
    sequence        bigint      PRIMARY KEY CHECK (sequence > 0),
    transfer_id     uuid        NOT NULL UNIQUE,
    event_id        uuid        NOT NULL UNIQUE,
    debit_account   text        NOT NULL,
    credit_account  text        NOT NULL CHECK (credit_account <> debit_account),
    amount_fen      bigint      NOT NULL CHECK (amount_fen > 0),
    application_id  text,
    kind            text        NOT NULL,
    reverses        uuid        REFERENCES ledger_entries (transfer_id),
    prev_hash       text        NOT NULL,
    hash            text        NOT NULL,
    recorded_at     timestamptz NOT NULL
);

CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only: post a correcting entry instead';
END $$;

CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();

CREATE TABLE ledger_head (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    sequence    bigint  NOT NULL,
    hash        text    NOT NULL
);
INSERT INTO ledger_head VALUES (true, 0, repeat('0', 64));

CREATE TABLE accounts (
    account      text   PRIMARY KEY,
    credits_fen  bigint NOT NULL DEFAULT 0,
    debits_fen   bigint NOT NULL DEFAULT 0,
    CONSTRAINT fund_never_overdrawn CHECK (account NOT LIKE 'fund:%' OR debits_fen <= credits_fen)
);

CREATE TABLE donations (
    donation_id          text    PRIMARY KEY,
    account              text    NOT NULL,
    org_codes            text[]  NOT NULL,
    stages               text[]  NOT NULL,
    per_student_cap_fen  bigint
);

CREATE TABLE payments (
    application_id     text        PRIMARY KEY,
    org_code           text        NOT NULL,
    stage              text        NOT NULL,
    amount_fen         bigint      NOT NULL CHECK (amount_fen > 0),
    fund_sources       text[]      NOT NULL,
    bank_card          text        NOT NULL,
    status             text        NOT NULL
        CHECK (status IN ('awaiting_funds', 'instructed', 'settled', 'failed')),
    reason             text,
    grant_transfer_id  uuid,
    fund_account       text,
    requested_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX payments_awaiting ON payments (requested_at) WHERE status = 'awaiting_funds';
