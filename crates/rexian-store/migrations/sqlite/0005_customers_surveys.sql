-- The customer register (热用户/客户档案) and monthly satisfaction surveys.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    account_no TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    district TEXT,
    community TEXT,
    building TEXT,
    unit_no TEXT,
    room TEXT,
    station TEXT,
    residential BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    CONSTRAINT customers_account_key UNIQUE (company_id, account_no)
);
CREATE INDEX customers_phone ON customers(company_id, phone);
CREATE INDEX customers_community ON customers(company_id, community);
CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies(id),
    month TEXT NOT NULL,
    title TEXT NOT NULL,
    per_mille REAL NOT NULL,
    residential_share REAL NOT NULL,
    seed BIGINT NOT NULL,
    population BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    CONSTRAINT surveys_month_key UNIQUE (company_id, month)
);
CREATE TABLE survey_samples (
    survey_id BIGINT NOT NULL REFERENCES surveys(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    satisfaction TEXT,
    answers TEXT,
    answered_by BIGINT REFERENCES users(id),
    answered_at BIGINT,
    PRIMARY KEY (survey_id, customer_id)
);
