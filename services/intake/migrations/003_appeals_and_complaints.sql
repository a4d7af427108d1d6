-- Which review of the application the status belongs to (an upheld appeal starts the next one),
-- and complaints about its grant still waiting for a decision.
ALTER TABLE applications ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE applications ADD COLUMN open_complaints integer NOT NULL DEFAULT 0;
