-- Supervision (督办) stops at the top of the order's chain (`000:八.5(5)`); after that, at most
-- one reminder a workday, folded into the top-level notice. The time of a deadline's next
-- supervision step (a level or a reminder) is computed by the domain and stored, so the sweep
-- is a range scan of this partial index, holding only the deadlines with a step still to come.
ALTER TABLE deadlines ADD COLUMN supervise_at BIGINT;
UPDATE deadlines SET supervise_at = due_at + level * limit_ms
    WHERE active = 1 AND state = 'missed' AND limit_ms > 0 AND met_at IS NULL AND level > 0;
DROP INDEX deadlines_escalate;
CREATE INDEX deadlines_supervise ON deadlines(supervise_at) WHERE supervise_at IS NOT NULL;
-- Reminders at the top level: how many, and the last one.
ALTER TABLE supervision_notices ADD COLUMN reminders BIGINT NOT NULL DEFAULT 0;
ALTER TABLE supervision_notices ADD COLUMN reminded_at BIGINT;
-- The board shows each order once, at its highest level.
CREATE INDEX supervision_notices_order ON supervision_notices(order_id, level);
