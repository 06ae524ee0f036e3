-- Contacts, work orders, their events, deadlines, callbacks, extensions, matters, numbering,
-- idempotency keys, supervision notices and the personal-data access log.
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    channel TEXT NOT NULL,
    caller_name TEXT,
    caller_phone TEXT,
    summary TEXT NOT NULL,
    agent_id BIGINT REFERENCES users(id),
    at BIGINT NOT NULL
);
CREATE INDEX contacts_company_at ON contacts(company_id, at);
CREATE TABLE matters (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    subtype TEXT,
    place TEXT,
    title TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    number TEXT NOT NULL,
    contact_id BIGINT REFERENCES contacts(id),
    category TEXT NOT NULL,
    subtype TEXT,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    grade BIGINT,
    matter_id BIGINT REFERENCES matters(id),
    unit_id BIGINT REFERENCES units(id),
    first_responder_id BIGINT NOT NULL REFERENCES users(id),
    customer_name TEXT,
    customer_phone TEXT,
    customer_address TEXT,
    customer_community TEXT,
    account_no TEXT,
    anonymous BIGINT NOT NULL DEFAULT 0,
    description TEXT NOT NULL,
    callback_pref TEXT NOT NULL,
    complainants BIGINT NOT NULL DEFAULT 1,
    media_exposed BIGINT NOT NULL DEFAULT 0,
    lawsuit BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    CONSTRAINT orders_number_key UNIQUE (company_id, number)
);
CREATE INDEX orders_company_status ON orders(company_id, status, id);
CREATE INDEX orders_unit_status ON orders(unit_id, status, id);
CREATE INDEX orders_matter ON orders(matter_id);
CREATE INDEX orders_phone ON orders(customer_phone);
CREATE TABLE order_events (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    seq BIGINT NOT NULL,
    type TEXT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    at BIGINT NOT NULL,
    data TEXT NOT NULL,
    CONSTRAINT order_events_seq_key UNIQUE (order_id, seq)
);
CREATE TABLE deadlines (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    kind TEXT NOT NULL,
    unit_id BIGINT,
    started_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    original_due_at BIGINT NOT NULL,
    amber_at BIGINT NOT NULL,
    provisional BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    met_at BIGINT,
    amber_noted BIGINT NOT NULL DEFAULT 0,
    level BIGINT NOT NULL DEFAULT 0,
    limit_ms BIGINT NOT NULL
);
CREATE INDEX deadlines_order ON deadlines(order_id);
CREATE INDEX deadlines_due ON deadlines(active, state, due_at);
CREATE INDEX deadlines_amber ON deadlines(active, amber_noted, amber_at);
CREATE TABLE supervision_notices (
    id INTEGER PRIMARY KEY,
    deadline_id BIGINT NOT NULL REFERENCES deadlines(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    level BIGINT NOT NULL,
    unit_id BIGINT,
    at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    CONSTRAINT supervision_once UNIQUE (deadline_id, level)
);
CREATE TABLE callbacks (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    agent_id BIGINT REFERENCES users(id),
    at BIGINT NOT NULL,
    reached BIGINT NOT NULL,
    satisfaction TEXT,
    matches_reply BIGINT,
    note TEXT
);
CREATE INDEX callbacks_order ON callbacks(order_id);
CREATE TABLE extensions (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    until_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    asked_by BIGINT REFERENCES users(id),
    asked_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_at BIGINT,
    decision_reason TEXT
);
CREATE TABLE order_counters (
    company_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (company_id, day)
);
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE TABLE personal_data_views (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL,
    order_id BIGINT,
    what TEXT NOT NULL,
    at BIGINT NOT NULL
);
