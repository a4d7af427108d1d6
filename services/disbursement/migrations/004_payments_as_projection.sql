-- Each payment is now a fold of its stream in `events` (`payment-<application>`); this row is its
-- projection, with the stream's version for the next append. `jinqiu replay disbursement`
-- rebuilds it.
ALTER TABLE payments ADD COLUMN version integer NOT NULL DEFAULT 1;
