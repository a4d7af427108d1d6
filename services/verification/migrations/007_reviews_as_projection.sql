-- The review is now a fold of its stream in `events`; `reviews` is its projection, rebuilt by
-- `jinqiu replay verification`. Appeals reopen a rejected review (attempt n+1), an upheld
-- complaint revokes an approved grant.
ALTER TABLE reviews DROP CONSTRAINT reviews_status_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_status_check
    CHECK (status IN ('submitted', 'manual_review', 'in_notice', 'approved', 'rejected', 'appealed', 'revoked'));
ALTER TABLE reviews ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE decisions DROP CONSTRAINT decisions_decision_check;
ALTER TABLE decisions ADD CONSTRAINT decisions_decision_check CHECK (decision IN ('approved', 'rejected', 'revoked'));
