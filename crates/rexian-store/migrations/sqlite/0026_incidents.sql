-- Mass incidents (SPEC §6): many orders of one community, category and subtype in a short time
-- are one incident. An order keeps its community normalised (the window's key) and its incident.
ALTER TABLE orders ADD COLUMN community_key TEXT;
ALTER TABLE orders ADD COLUMN incident_id BIGINT;
-- The window count reads at most the threshold's orders of one place, not its history.
CREATE INDEX orders_incident_window ON orders(company_id, community_key, category, subtype, created_at)
    WHERE community_key IS NOT NULL AND subtype IS NOT NULL;
CREATE INDEX orders_incident ON orders(incident_id) WHERE incident_id IS NOT NULL;
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    community TEXT NOT NULL,
    community_key TEXT NOT NULL,
    category TEXT NOT NULL,
    subtype TEXT NOT NULL,
    orders BIGINT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    matter_id BIGINT REFERENCES matters(id),
    outage_id BIGINT REFERENCES outages(id),
    status TEXT NOT NULL,
    closed_at BIGINT
);
-- One open incident per place, category and subtype: concurrent intakes meet on it.
CREATE UNIQUE INDEX incidents_open ON incidents(company_id, community_key, category, subtype)
    WHERE status = 'open';
CREATE INDEX incidents_company ON incidents(company_id, id);
