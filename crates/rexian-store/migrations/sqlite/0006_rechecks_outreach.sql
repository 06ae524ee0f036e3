-- Sampled satisfaction re-checks of closed orders, and outreach events with their reports.
CREATE TABLE rechecks (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    done_by BIGINT REFERENCES users(id),
    reached BIGINT,
    answers TEXT,
    CONSTRAINT rechecks_once UNIQUE (order_id, kind)
);
CREATE INDEX rechecks_company ON rechecks(company_id, kind, created_at);
CREATE TABLE outreach_events (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    title TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    report_due TEXT NOT NULL,
    report TEXT,
    reported_at BIGINT,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
