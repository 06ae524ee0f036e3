-- Supervision notices reach people (issue 18, SPEC §3): each notice names who its level is
-- (the post: unit_handler, unit_head, division_head, company; for a limit of the centre agent,
-- centre_supervisor, company), the unit whose post it is, and the persons holding it, written
-- with the notice. A post nobody holds is kept with no person, so the board shows it vacant.
CREATE TABLE supervision_addressees (
    id INTEGER PRIMARY KEY,
    notice_id BIGINT NOT NULL REFERENCES supervision_notices(id),
    post TEXT NOT NULL,
    unit_id BIGINT REFERENCES units(id),
    user_id BIGINT REFERENCES users(id)
);
CREATE INDEX supervision_addressees_notice ON supervision_addressees(notice_id);
-- "My supervision notices": a person's notices, newest first.
CREATE INDEX supervision_addressees_user ON supervision_addressees(user_id, notice_id)
    WHERE user_id IS NOT NULL;
-- A post's holders are read by unit, the company's supervisors by company.
CREATE INDEX users_unit ON users(unit_id) WHERE unit_id IS NOT NULL;
CREATE INDEX users_company ON users(company_id) WHERE company_id IS NOT NULL;
-- The supervision board reads a company's drafts past their publish deadline.
CREATE INDEX outages_status_due ON outages(company_id, status, publish_due_at);
CREATE INDEX outages_drafts_due ON outages(publish_due_at) WHERE status = 'draft';
-- The outage report reads a company's incidents by when they began.
CREATE INDEX incidents_first ON incidents(company_id, first_at);
