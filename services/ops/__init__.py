"""What an operator on call looks at: backlog, throughput, lag, dead letters."""
