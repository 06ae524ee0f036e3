-- Assessment ledger (考核台账), month-end closings, export log.
CREATE TABLE assessment_entries (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    month TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    rule_code TEXT,
    points REAL NOT NULL DEFAULT 0,
    yuan REAL NOT NULL DEFAULT 0,
    order_id BIGINT REFERENCES orders(id),
    source_key TEXT,
    reason TEXT NOT NULL,
    reversal_of BIGINT REFERENCES assessment_entries(id),
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    CONSTRAINT assessment_source_once UNIQUE (company_id, source_key),
    CONSTRAINT assessment_reversed_once UNIQUE (reversal_of)
);
CREATE INDEX assessment_month ON assessment_entries(company_id, month, subject_kind, subject_id);
CREATE TABLE month_end_closings (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    month TEXT NOT NULL,
    open_orders BIGINT NOT NULL,
    closed_by BIGINT REFERENCES users(id),
    closed_at BIGINT NOT NULL,
    CONSTRAINT month_end_once UNIQUE (company_id, month)
);
CREATE TABLE month_end_orders (
    closing_id BIGINT NOT NULL REFERENCES month_end_closings(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    status TEXT NOT NULL,
    unit_id BIGINT,
    PRIMARY KEY (closing_id, order_id)
);
CREATE TABLE exports (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    what TEXT NOT NULL,
    format TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    at BIGINT NOT NULL
);
