"""`jinqiu season`: the pipeline on a union's own input files, and sample files to try it with."""
