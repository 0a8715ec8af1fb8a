//! Proximity management: written once in `logis_store::proximity` on the store's transactions
//! (`tx.rs`).

use super::*;

impl logis_store::ProximityStore for SqliteStore {}
impl logis_store::MobilityStore for SqliteStore {}
