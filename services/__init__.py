"""The jinqiu services: intake, verification, disbursement, employment, and their shared runtime."""
