//! rexian-store
