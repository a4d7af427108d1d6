-- When funds are short, pay by priority (e.g. new entrants first), then first come first served.
ALTER TABLE payments ADD COLUMN priority integer NOT NULL DEFAULT 0;
DROP INDEX payments_awaiting;
CREATE INDEX payments_awaiting ON payments (priority, requested_at) WHERE status = 'awaiting_funds';
