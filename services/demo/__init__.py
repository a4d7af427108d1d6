"""A realistic synthetic 金秋助学 season for Bozhou's counties, and the harness that plays it."""
