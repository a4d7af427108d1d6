"""Published contracts of jinqiu: the envelope, topics, and versioned event schemas."""
