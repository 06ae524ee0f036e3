-- Caller identity checks before account information is given (002:§14(1)).
CREATE TABLE customer_verifications (
    id INTEGER PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    matched TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX customer_verifications_lookup ON customer_verifications(customer_id, user_id, at);
