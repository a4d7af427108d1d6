"""`jinqiu bench`: the bare broker and database, then the pipeline on them, in one run."""
