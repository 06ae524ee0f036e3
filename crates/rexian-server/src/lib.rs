//! rexian-server
