-- Emergency water deliveries (应急送水, 003:6) during an outage notice: where, when, how much.
-- The notice's own event records each too; this table lists them per notice.
CREATE TABLE water_deliveries (
    id INTEGER PRIMARY KEY,
    outage_id BIGINT NOT NULL REFERENCES outages(id),
    at BIGINT NOT NULL,
    place TEXT NOT NULL,
    litres BIGINT,
    tanks BIGINT,
    note TEXT,
    recorded_by BIGINT NOT NULL REFERENCES users(id)
);
CREATE INDEX water_deliveries_outage ON water_deliveries(outage_id, at);
