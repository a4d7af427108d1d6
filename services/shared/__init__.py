"""What all four services need, written once: storage, inbox, outbox, consumer loop, logging."""
