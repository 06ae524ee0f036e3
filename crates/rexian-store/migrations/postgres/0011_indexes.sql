-- Indexes the benchmark showed missing: deadline lookups by order and kind inside every write,
-- lists by company and category or unit, and complaint lookups for matter matching.
CREATE INDEX deadlines_order_kind ON deadlines(order_id, kind, active);
CREATE INDEX orders_company_category ON orders(company_id, category, id);
CREATE INDEX orders_company_unit ON orders(company_id, unit_id, id);
CREATE INDEX orders_company_created ON orders(company_id, created_at);
CREATE INDEX callbacks_order_at ON callbacks(order_id, at);
CREATE INDEX order_events_order_type ON order_events(order_id, type);
