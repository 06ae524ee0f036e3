-- Outage notices (停电/停水/停气/停热, SPEC §6, 001): the notice as it stands, every change an
-- event, and its places as index keys for matching callers' addresses.
CREATE TABLE outages (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    kind TEXT NOT NULL,
    cause TEXT NOT NULL,
    area TEXT NOT NULL,
    start_at BIGINT NOT NULL,
    expected_end_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    publish_due_at BIGINT NOT NULL,
    published_at BIGINT,
    restored_at BIGINT,
    late_noted BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL REFERENCES users(id),
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX outages_company ON outages(company_id, id);
CREATE INDEX outages_received ON outages(company_id, received_at);
-- The sweep of late publications reads only drafts not yet noted.
CREATE INDEX outages_publish_due ON outages(publish_due_at) WHERE status = 'draft' AND late_noted = 0;
CREATE TABLE outage_events (
    id INTEGER PRIMARY KEY,
    outage_id BIGINT NOT NULL REFERENCES outages(id),
    type TEXT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    at BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX outage_events_outage ON outage_events(outage_id, id);
-- One row a place of a notice: its normalised name and head (first two characters). A caller's
-- address is looked up by its heads among the live keys (notices not restored), so a lookup
-- costs what the address and the live notices sharing its heads cost, not the history.
CREATE TABLE outage_keys (
    outage_id BIGINT NOT NULL REFERENCES outages(id),
    company_id BIGINT NOT NULL,
    head TEXT NOT NULL,
    place TEXT NOT NULL,
    live BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (outage_id, place)
);
CREATE INDEX outage_keys_head ON outage_keys(company_id, head) WHERE live = 1;
-- Orders answered with a notice (linked and counted).
CREATE TABLE outage_links (
    outage_id BIGINT NOT NULL REFERENCES outages(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    at BIGINT NOT NULL,
    PRIMARY KEY (outage_id, order_id)
);
