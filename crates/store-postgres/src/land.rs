//! The land bank: written once in `logis_store::land` on the store's transactions (`tx.rs`).

use super::*;

impl logis_store::LandStore for PostgresStore {}
