-- Complaint matters keep their counts (`002:§14(6)`), updated in the transaction of each intake,
-- so that grading a new complaint reads a few rows however large its matter has grown.
-- `complainant`: who complained (the phone, else the account, else the name, else the order).
ALTER TABLE orders ADD COLUMN complainant TEXT;
UPDATE orders SET complainant = COALESCE(customer_phone, account_no, customer_name, 'order:' || CAST(id AS TEXT))
    WHERE matter_id IS NOT NULL;
CREATE INDEX orders_matter_complainant ON orders(matter_id, complainant, id);
-- The matter's valid complaints, distinct complainants, grade (only ever more severe), and the
-- latest complaint (time and text) for proposing the matter to the next one. `active_at` is
-- the latest complaint's time moved at most once an hour: the one indexed column, so that the
-- update of every intake leaves the indexes alone (a HOT update on PostgreSQL: no dead index
-- entries piling up under a matter that takes thousands of complaints).
ALTER TABLE matters ADD COLUMN complaints BIGINT NOT NULL DEFAULT 0;
ALTER TABLE matters ADD COLUMN complainants BIGINT NOT NULL DEFAULT 0;
ALTER TABLE matters ADD COLUMN grade BIGINT;
ALTER TABLE matters ADD COLUMN last_at BIGINT;
ALTER TABLE matters ADD COLUMN last_text TEXT;
ALTER TABLE matters ADD COLUMN active_at BIGINT;
-- Per complainant of a matter: valid complaints and the latest one (the month window).
CREATE TABLE matter_complainants (
    matter_id BIGINT NOT NULL REFERENCES matters(id),
    complainant TEXT NOT NULL,
    complaints BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (matter_id, complainant)
);
CREATE INDEX matter_complainants_window ON matter_complainants(matter_id, last_at);
INSERT INTO matter_complainants (matter_id, complainant, complaints, last_at)
    SELECT matter_id, complainant, COUNT(*), MAX(created_at) FROM orders
    WHERE matter_id IS NOT NULL AND status <> 'cancelled' GROUP BY matter_id, complainant;
UPDATE matters SET
    complaints = (SELECT COUNT(*) FROM orders o WHERE o.matter_id = matters.id AND o.status <> 'cancelled'),
    complainants = (SELECT COUNT(*) FROM matter_complainants c WHERE c.matter_id = matters.id),
    grade = (SELECT MIN(o.grade) FROM orders o WHERE o.matter_id = matters.id AND o.status <> 'cancelled'),
    last_at = COALESCE((SELECT MAX(o.created_at) FROM orders o WHERE o.matter_id = matters.id), created_at),
    last_text = COALESCE((SELECT o.description FROM orders o WHERE o.matter_id = matters.id ORDER BY o.id DESC LIMIT 1), title);
UPDATE matters SET active_at = last_at;
CREATE INDEX matters_company_active ON matters(company_id, active_at);
