-- Knowledge base (知识库): articles, every version a row, every change an event.
CREATE TABLE kb_articles (
    id INTEGER PRIMARY KEY,
    company_id BIGINT REFERENCES companies(id),
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    slug TEXT,
    CONSTRAINT kb_articles_slug UNIQUE (slug)
);
CREATE TABLE kb_versions (
    id INTEGER PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES kb_articles(id),
    version BIGINT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    author_id BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    reviewer_id BIGINT REFERENCES users(id),
    state_at BIGINT NOT NULL,
    CONSTRAINT kb_versions_once UNIQUE (article_id, version)
);
CREATE INDEX kb_versions_state ON kb_versions(state, category);
CREATE TABLE kb_events (
    id INTEGER PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES kb_articles(id),
    version BIGINT NOT NULL,
    type TEXT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    at BIGINT NOT NULL,
    comment TEXT
);
CREATE INDEX kb_events_article ON kb_events(article_id, id);
