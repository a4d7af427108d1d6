-- A tick of the clock now only moves the date; the notice closer (notices.py) closes what is due,
-- a few hundred reviews per transaction. It finds them through this index, and gives each
-- closing the tick that ended its notice as cause.
ALTER TABLE clock ADD COLUMN ticked_by bytea;
CREATE INDEX reviews_due ON reviews (notice_ends_on, application_id)
    WHERE status = 'in_notice' AND open_objections = 0;
