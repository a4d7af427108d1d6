-- Balances change with every posting: room left on each page keeps those updates on the page
-- (HOT), with no new index entry for the account.
ALTER TABLE accounts SET (fillfactor = 70);
