"""The auditor's replay of a ledger export: independent of the services that wrote it."""
