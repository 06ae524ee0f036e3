-- Temperature measurement (issue 19): the neighbours of a household below the standard are read
-- by community and building (a bounded page), in the order they are listed.
CREATE INDEX customers_building ON customers(company_id, community, building, unit_no, room, id);
