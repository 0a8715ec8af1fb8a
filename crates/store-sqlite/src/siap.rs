//! Operations taken from SIAP: written once in `logis_store::siap` on the store's transactions
//! (`tx.rs`); nothing of its own here.

use super::*;

impl logis_store::SiapStore for SqliteStore {}
