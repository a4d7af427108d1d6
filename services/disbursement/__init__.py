"""disbursement: pays approved grants from fund sources into the append-only double-entry ledger."""
