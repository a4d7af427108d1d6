-- Superseded by reviews_due (008), through which the notice closer finds what is due; nothing
-- reads this one, and every review entering or leaving notice wrote it.
DROP INDEX reviews_in_notice;
