-- A grant revoked after an upheld complaint: unpaid → revoked; at the bank → revoked when the
-- bank answers (`revoke_pending`); settled → a revocation entry makes the amount owed back.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('awaiting_funds', 'instructed', 'settled', 'failed', 'revoked'));
ALTER TABLE payments ADD COLUMN revoke_pending boolean NOT NULL DEFAULT false;
