//! rexian-jobs
