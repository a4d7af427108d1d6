-- A status change rewrites an application's row three or four times in a season. The partial
-- index on status made every such update write each of the row's three indexes anew (status is
-- in its predicate); the notice board and review queue find their rows through the org's
-- (org_code, submission_id) index as well. Without it, and with room left on each page, a
-- status change stays on its page (a HOT update) and touches no index.
DROP INDEX applications_waiting;
ALTER TABLE applications SET (fillfactor = 70);
