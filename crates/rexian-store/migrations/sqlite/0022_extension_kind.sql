-- An extension names the limit it is for (issue 15); the rows before this were all for the
-- finish limit, the only one an extension moved then.
ALTER TABLE extensions ADD COLUMN kind TEXT NOT NULL DEFAULT 'finish';
