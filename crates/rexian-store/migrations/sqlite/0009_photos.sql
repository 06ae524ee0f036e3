-- Photos from the field: one row per stored file (the bytes live under the data dir).
CREATE TABLE order_photos (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    uploaded_by BIGINT REFERENCES users(id),
    at BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    file_name TEXT
);
CREATE INDEX order_photos_order ON order_photos(order_id);
