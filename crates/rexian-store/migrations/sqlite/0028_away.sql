-- Away periods of the A/B roles (004 第五章): while A is away A's open work is with B (cover_id),
-- or with nobody when forced; each move of an order is kept with its return.
CREATE TABLE away_periods (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    cover_id BIGINT REFERENCES users(id),
    from_at BIGINT NOT NULL,
    until_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    note TEXT,
    forced BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    ended_at BIGINT,
    ended_by BIGINT REFERENCES users(id),
    end_kind TEXT
);
CREATE INDEX away_periods_user ON away_periods(user_id, until_at);
CREATE INDEX away_periods_company ON away_periods(company_id, from_at);
CREATE INDEX away_periods_to_start ON away_periods(from_at) WHERE started_at IS NULL AND ended_at IS NULL;
CREATE INDEX away_periods_to_end ON away_periods(until_at) WHERE started_at IS NOT NULL AND ended_at IS NULL;
CREATE TABLE away_moves (
    away_id BIGINT NOT NULL REFERENCES away_periods(id),
    order_id BIGINT NOT NULL REFERENCES orders(id),
    duty TEXT NOT NULL,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    from_user BIGINT NOT NULL REFERENCES users(id),
    to_user BIGINT REFERENCES users(id),
    moved_at BIGINT NOT NULL,
    returned_at BIGINT,
    outcome TEXT,
    PRIMARY KEY (away_id, order_id, duty)
);
CREATE INDEX away_moves_to ON away_moves(to_user) WHERE returned_at IS NULL;
CREATE INDEX away_moves_uncovered ON away_moves(company_id) WHERE returned_at IS NULL AND to_user IS NULL;
CREATE INDEX away_moves_order ON away_moves(order_id);
-- A's follow-ups as first responder are found by this.
CREATE INDEX orders_first_responder ON orders(first_responder_id, status, id);
