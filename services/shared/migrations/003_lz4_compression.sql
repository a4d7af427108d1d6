-- A filing's event and its outbox envelope are 2.5-3 KB, above PostgreSQL's TOAST threshold:
-- each is compressed as it is written. lz4 compresses them in about two thirds of pglz's time
-- (an insert of a filing's event 65-70 → 43-45 µs here) to the same size, and reads back faster.
-- New values only; a server built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE events ALTER COLUMN data SET COMPRESSION lz4;
    ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available in this PostgreSQL: events and outbox stay on pglz';
END $$;
