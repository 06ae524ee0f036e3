-- One narrow row per order with what the reports count: the dimensions and per-order KPI flags.
-- Every write unit that touches an order recomputes its row (reports::refresh_facts), so the
-- monthly KPI reads one contiguous key range instead of running subqueries per order.
CREATE TABLE order_facts (
    company_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    unit_id BIGINT,
    first_responder_id BIGINT,
    category TEXT NOT NULL,
    subtype TEXT,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    matter_id BIGINT,
    has_limits BIGINT NOT NULL,
    missed BIGINT NOT NULL,
    missed_active BIGINT NOT NULL,
    callback_required BIGINT NOT NULL,
    callback_reached BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    repeat_complaint BIGINT NOT NULL,
    PRIMARY KEY (company_id, created_at, order_id)
);
CREATE UNIQUE INDEX order_facts_order ON order_facts(order_id);
