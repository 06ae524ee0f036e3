-- Shift handovers (001 交接班) item by item, and the duty log (值班日志) they appear in.
CREATE TABLE handovers (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    shift_start BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    note TEXT,
    accepted_by BIGINT REFERENCES users(id),
    accepted_at BIGINT,
    accept_note TEXT
);
CREATE INDEX handovers_company ON handovers(company_id, id);
CREATE TABLE handover_items (
    handover_id BIGINT NOT NULL REFERENCES handovers(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    ref_id BIGINT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (handover_id, seq)
);
CREATE TABLE duty_log (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    day TEXT NOT NULL,
    at BIGINT NOT NULL,
    author_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    handover_id BIGINT REFERENCES handovers(id)
);
CREATE INDEX duty_log_day ON duty_log(company_id, day, id);
