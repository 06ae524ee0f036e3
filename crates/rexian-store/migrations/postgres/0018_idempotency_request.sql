-- The fingerprint of the request an idempotency key first answered, so a reuse of the key
-- with a different request is refused instead of replayed. NULL: not compared (older rows,
-- the intake page's form key).
ALTER TABLE idempotency_keys ADD COLUMN request_hash TEXT;
