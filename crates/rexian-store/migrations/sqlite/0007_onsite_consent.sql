-- An anonymous complainant agreed to show their contact to the worker on site (SPEC §7).
ALTER TABLE orders ADD COLUMN onsite_consent BIGINT NOT NULL DEFAULT 0;
