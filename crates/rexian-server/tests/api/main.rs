//! API tests, in one binary, run on SQLite and (with `REXIAN_TEST_DB=postgres`) PostgreSQL.

mod access_matrix;
mod assessment;
mod auth;
mod callbacks;
mod console;
mod contract;
mod heating;
mod input;
mod kb;
mod matters;
mod orders;
mod org;
mod photos;
mod rechecks;
mod reports;
mod search;
mod search_quality;
mod supervision;
mod surveys;
mod tenancy;
