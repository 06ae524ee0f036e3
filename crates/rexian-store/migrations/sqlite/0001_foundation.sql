-- Organisation, staff, auth and the audit event log. Times are unix milliseconds (UTC).
CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    utility TEXT NOT NULL,
    policy TEXT NOT NULL,
    policy_override TEXT,
    number_prefix TEXT NOT NULL,
    tz_offset_minutes BIGINT NOT NULL DEFAULT 480,
    season_start TEXT,
    season_end TEXT,
    created_at BIGINT NOT NULL
);
CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    parent_id BIGINT REFERENCES units(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX units_company ON units(company_id);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    company_id BIGINT REFERENCES companies(id),
    unit_id BIGINT REFERENCES units(id),
    staff_no TEXT,
    partner_id BIGINT REFERENCES users(id),
    disabled BIGINT NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    CONSTRAINT users_login_key UNIQUE (login)
);
CREATE TABLE auth_tokens (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL,
    kind TEXT NOT NULL,
    csrf TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    CONSTRAINT auth_tokens_hash_key UNIQUE (token_hash)
);
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    type TEXT NOT NULL,
    actor_id BIGINT,
    at BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events(entity, entity_id);
