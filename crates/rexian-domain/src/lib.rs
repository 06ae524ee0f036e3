//! rexian-domain
