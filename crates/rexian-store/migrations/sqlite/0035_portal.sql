-- The customer self-service portal (issue 20). Signed links a customer answers once (a
-- satisfaction survey or callback of an order): only a SHA-256 of the random token is kept.
CREATE TABLE portal_links (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    token_hash TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    CONSTRAINT portal_links_token_key UNIQUE (token_hash)
);
CREATE INDEX portal_links_order ON portal_links(order_id, id);
-- Phone verification codes: a SHA-256 of the code with its row's salt, expiring, with attempts.
CREATE TABLE portal_codes (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    phone TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    salt TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    used_at BIGINT
);
CREATE INDEX portal_codes_phone ON portal_codes(company_id, phone, id);
-- Messages to customers waiting for a sender (the notifier's outbox picks them up): the
-- template and its parameters (the code, the link), written in the transaction that made them.
CREATE TABLE portal_messages (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    phone TEXT NOT NULL,
    template TEXT NOT NULL,
    params TEXT NOT NULL,
    order_id BIGINT REFERENCES orders(id),
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX portal_messages_unsent ON portal_messages(sent_at, id);
CREATE INDEX portal_messages_phone ON portal_messages(company_id, phone, id);
-- Tracking reads an order by its number alone (the customer knows no company id).
CREATE INDEX orders_number ON orders(number);
