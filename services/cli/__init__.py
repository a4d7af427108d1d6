"""The `jinqiu` console command."""
