-- The version of each application's review stream, so transitions append without counting.
ALTER TABLE reviews ADD COLUMN version integer NOT NULL DEFAULT 0;
ALTER TABLE reviews DROP CONSTRAINT reviews_status_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_status_check
    CHECK (status IN ('submitted', 'manual_review', 'in_notice', 'approved', 'rejected'));
