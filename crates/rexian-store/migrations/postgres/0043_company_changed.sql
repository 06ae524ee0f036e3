-- Every node keeps companies in memory (issue 22); a changed row tells them all.
CREATE OR REPLACE FUNCTION rexian_company_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('rexian_company_changed', NEW.id::text);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER companies_changed AFTER UPDATE ON companies
    FOR EACH ROW EXECUTE FUNCTION rexian_company_changed();
