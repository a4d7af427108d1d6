-- The ledger as published, looked up by application (the national export's grant of each paid
-- application, reversals of subsidies in the reports): without it, a seq scan per application.
CREATE INDEX ledger_view_application ON ledger_view (application_id);
