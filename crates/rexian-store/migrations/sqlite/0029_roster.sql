-- The roster (排班, 001 值班): who is on which shift of which local date. Nothing is deleted: a
-- replaced entry keeps its row with removed_at, and every change is a roster event.
CREATE TABLE roster (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    day TEXT NOT NULL,
    shift BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    added_at BIGINT NOT NULL,
    added_by BIGINT REFERENCES users(id),
    removed_at BIGINT,
    removed_by BIGINT REFERENCES users(id)
);
CREATE INDEX roster_day ON roster(company_id, day, shift) WHERE removed_at IS NULL;
CREATE TABLE roster_events (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    day TEXT NOT NULL,
    shift BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    type TEXT NOT NULL,
    source TEXT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    at BIGINT NOT NULL
);
CREATE INDEX roster_events_day ON roster_events(company_id, day, id);
-- 001 考核6): an order the shift could have handled, noted once when left pending at its end.
ALTER TABLE orders ADD COLUMN left_pending_at BIGINT;
CREATE INDEX orders_left_pending ON orders(company_id, created_at)
    WHERE status = 'new' AND left_pending_at IS NULL;
