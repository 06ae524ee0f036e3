-- Search outbox: one row per change of a searchable record, written in the change's
-- transaction; every node drains it into its own index from its own cursor.
CREATE TABLE search_outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    at BIGINT NOT NULL
);
-- Records written before the outbox existed.
INSERT INTO search_outbox (kind, entity_id, at) SELECT 'order', id, updated_at FROM orders;
INSERT INTO search_outbox (kind, entity_id, at) SELECT 'customer', id, created_at FROM customers;
INSERT INTO search_outbox (kind, entity_id, at) SELECT 'contact', id, at FROM contacts;
INSERT INTO search_outbox (kind, entity_id, at) SELECT 'article', id, created_at FROM kb_articles;
