-- The campaign date as intake last heard it (clock.ticked), for the filing window; and whether a
-- filing came after the window as 补报, for the reports.
CREATE TABLE campaign_clock (
    name   text PRIMARY KEY,
    today  date NOT NULL
);
ALTER TABLE applications ADD COLUMN late_filing boolean NOT NULL DEFAULT false;
