-- The flow each application arrived in: decisions made later by the clock (notice over) carry
-- the application's own correlation id and trace context, not the clock tick's.
ALTER TABLE reviews ADD COLUMN correlation_id text, ADD COLUMN trace_headers jsonb;
