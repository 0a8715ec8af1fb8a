//! Operations taken from SIAP (issue 23), written once on [`crate::tx`]: each one's SIAP number
//! and the fingerprint of its lines and financing plan at its last SIAP import.

use crate::Result;
use crate::audit::{Actor, Change};
use crate::tx::{self, Transactions, Value};

pub mod sql {
    pub const LINKS: &str =
        "SELECT operation_id, numero, fingerprint, imported_at FROM siap_links ORDER BY numero";
    pub const DELETE_LINK: &str = "DELETE FROM siap_links WHERE operation_id = $1 OR numero = $2";
    pub const INSERT_LINK: &str = "INSERT INTO siap_links (operation_id, numero, fingerprint, imported_at) VALUES ($1, $2, $3, $4)";
    pub const ALL: &[&str] = &[LINKS, DELETE_LINK, INSERT_LINK];
}

/// An operation's link to SIAP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiapLink {
    pub operation_id: i64,
    pub numero: String,
    pub fingerprint: String,
    pub imported_at: String,
}

/// The SIAP links' storage (adapters: `impl SiapStore for … {}`).
pub trait SiapStore: Transactions {
    fn siap_links(&self) -> Result<Vec<SiapLink>> {
        tx::read(self, |tx| {
            tx.query(sql::LINKS, &[])?
                .iter()
                .map(|r| {
                    Ok(SiapLink {
                        operation_id: r.int(0)?,
                        numero: r.text(1)?,
                        fingerprint: r.text(2)?,
                        imported_at: r.text(3)?,
                    })
                })
                .collect()
        })
    }

    /// Record (or replace) these operations' links after a SIAP import, audited once.
    fn put_siap_links(&self, actor: &Actor, links: &[SiapLink]) -> Result<()> {
        if links.is_empty() {
            return Ok(());
        }
        tx::write(self, |tx| {
            for l in links {
                tx.execute(
                    sql::DELETE_LINK,
                    &[Value::int(l.operation_id), Value::text(l.numero.clone())],
                )?;
                tx.execute(
                    sql::INSERT_LINK,
                    &[
                        Value::int(l.operation_id),
                        Value::text(l.numero.clone()),
                        Value::text(l.fingerprint.clone()),
                        Value::text(l.imported_at.clone()),
                    ],
                )?;
            }
            tx.record(
                actor,
                &Change::event(
                    "siap",
                    0,
                    "import",
                    serde_json::json!({ "operations": links.iter().map(|l| l.numero.as_str()).collect::<Vec<_>>() }),
                ),
            )
        })
    }
}
