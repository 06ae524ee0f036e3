-- The order list filtered by status and category at once walked every order of the category
-- (8.6 s cold on 1 M seeded orders); this index answers it directly, newest first.
CREATE INDEX orders_company_status_category ON orders(company_id, status, category, id);
