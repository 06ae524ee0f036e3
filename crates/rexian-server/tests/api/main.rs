//! API tests, in one binary, run on SQLite and (with `REXIAN_TEST_DB=postgres`) PostgreSQL.

mod access_matrix;
mod anonymity;
mod assessment;
mod auth;
mod callbacks;
mod console;
mod contract;
mod extensions;
mod heating;
mod input;
mod kb;
mod login_guard;
mod matters;
mod orders;
mod org;
mod personal_log;
mod photos;
mod rechecks;
mod reports;
mod search;
mod search_quality;
mod supervision;
mod surveys;
mod suspension;
mod tenancy;
mod web_hardening;
