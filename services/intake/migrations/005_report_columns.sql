-- What the live reports (附件7/8) group by, kept on intake's own view of each application:
-- its category (as filed), the funds its rule may pay from (from the notice or the approval),
-- and the fund account its live grant came from (from the ledger).
ALTER TABLE applications ADD COLUMN category text;
ALTER TABLE applications ADD COLUMN fund_sources text[];
ALTER TABLE applications ADD COLUMN paid_from text;
