-- The class of the area a unit serves (urban | rural | remote); it picks the area-specific
-- limits of the policy (the State Grid repair arrival: urban 45 min, rural 90 min, remote 2 h)
-- for the orders dispatched to the unit. NULL: the company policy's `area`.
ALTER TABLE units ADD COLUMN area TEXT;
