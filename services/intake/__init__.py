"""intake: takes applications (HTTP API), validates them, emits ApplicationSubmitted."""
