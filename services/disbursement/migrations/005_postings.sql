-- Postings are made by any disbursement instance at once; the one sequencer then gives each
-- its place in the gap-free hash chain (`ledger_entries`) and deletes it here. A posting holds
-- the row locks of the guarded accounts it touches (funds, recipients, clawbacks) from before
-- its id is drawn until it commits, so per guarded account id order is commit order, and the
-- chain, built in id order, replays without an overdraft.
CREATE TABLE ledger_postings (
    id              bigserial   PRIMARY KEY,
    transfer_id     uuid        NOT NULL UNIQUE,
    debit_account   text        NOT NULL,
    credit_account  text        NOT NULL CHECK (credit_account <> debit_account),
    amount_fen      bigint      NOT NULL CHECK (amount_fen > 0),
    application_id  text,
    kind            text        NOT NULL,
    reverses        uuid,
    cause_id        text        NOT NULL,
    orgcode         text,
    correlationid   text,
    headers         jsonb       NOT NULL,
    posted_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION notify_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_postings', '');
    RETURN NULL;
END $$;

CREATE TRIGGER postings_notify AFTER INSERT ON ledger_postings
    FOR EACH STATEMENT EXECUTE FUNCTION notify_postings();
