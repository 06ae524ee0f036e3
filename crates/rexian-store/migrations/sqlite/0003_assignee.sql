-- The field worker an order is assigned to (field workers see only their orders, SPEC §7).
ALTER TABLE orders ADD COLUMN assignee_id BIGINT REFERENCES users(id);
CREATE INDEX orders_assignee ON orders(assignee_id, status, id);
