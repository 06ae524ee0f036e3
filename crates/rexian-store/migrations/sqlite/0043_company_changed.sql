-- PostgreSQL's 0043 adds a trigger that tells every node of a changed company (issue 22); on
-- SQLite companies are not kept in memory, so there is nothing to do.
SELECT 1;
