"""verification: checks archive status and the household-check authorization; decides."""
