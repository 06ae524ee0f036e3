-- Callback queue: appointments (约时回访), linked orders raised in a callback, dropped calls.
ALTER TABLE orders ADD COLUMN callback_at BIGINT;
ALTER TABLE orders ADD COLUMN linked_order_id BIGINT REFERENCES orders(id);
ALTER TABLE contacts ADD COLUMN dropped BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN handled_at BIGINT;
ALTER TABLE contacts ADD COLUMN handled_by BIGINT REFERENCES users(id);
CREATE INDEX orders_callback_queue ON orders(company_id, status, callback_at);
CREATE INDEX contacts_dropped ON contacts(company_id, dropped, handled_at);
