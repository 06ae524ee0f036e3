-- Hall checks (004 营业厅): items of a hall (a unit of kind `hall`) with a period and a due
-- date, and every check kept. Items are retired, never deleted; each change is an audit event
-- (entity `hall_item`).
CREATE TABLE hall_items (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    period_days BIGINT NOT NULL,
    due_on TEXT NOT NULL,
    last_checked_at BIGINT,
    last_ok BIGINT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
-- The overdue list reads the live items of a company due before a day.
CREATE INDEX hall_items_due ON hall_items(company_id, due_on) WHERE retired_at IS NULL;
CREATE TABLE hall_checks (
    id INTEGER PRIMARY KEY,
    item_id BIGINT NOT NULL REFERENCES hall_items(id),
    checked_by BIGINT NOT NULL REFERENCES users(id),
    checked_at BIGINT NOT NULL,
    ok BIGINT NOT NULL,
    found TEXT NOT NULL,
    next_due_on TEXT NOT NULL
);
CREATE INDEX hall_checks_item ON hall_checks(item_id, id);
-- Handovers by day (GET /handovers?date=) and the queue's "handed over to me".
CREATE INDEX handovers_created ON handovers(company_id, created_at);
CREATE INDEX handovers_accepted_by ON handovers(accepted_by, accepted_at);
