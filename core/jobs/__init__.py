"""Background work: job functions (ids in, idempotent), the outbox relay, the schedule."""
