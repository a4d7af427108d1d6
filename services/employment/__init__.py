"""employment: registers graduates and projects their 阳光就业 tracking views."""
