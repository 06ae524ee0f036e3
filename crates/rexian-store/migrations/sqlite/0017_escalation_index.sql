-- The escalation sweep looked at every missed deadline still active (most were met late, some
-- have no limit to repeat): 32 ms at 1 M seeded orders, growing with the backlog. This index
-- holds the next escalation time of the deadlines that can escalate, and nothing for the rest.
CREATE INDEX deadlines_escalate ON deadlines(active, state,
    (CASE WHEN limit_ms > 0 AND met_at IS NULL THEN due_at + level * limit_ms END));
