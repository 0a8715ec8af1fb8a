use super::*;
use logis_store::audit::sql;

/// Record one change in the audit trail, on the transaction making it (and count the write:
/// see [`logis_store::RegisterStore::data_stamp`]).
pub(crate) fn record(c: &Connection, actor: &Actor, ch: &Change<'_>) -> Result<()> {
    c.execute(logis_store::cube::sql::COUNT_WRITE, [])
        .map_err(be)?;
    c.execute(
        sql::INSERT_AUDIT_LOG,
        params![
            now(),
            actor.user_id,
            actor.name,
            actor.organisation_id,
            actor.via.code(),
            ch.entity,
            ch.entity_id,
            ch.operation_id,
            ch.action,
            ch.before_text(),
            ch.after_text()
        ],
    )
    .map(|_| ())
    .map_err(be)
}

impl AuditStore for SqliteStore {
    fn audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let c = self.conn()?;
        let (sql, params) = logis_store::audit::audit_query(f, DIALECT);
        let mut st = c.prepare(&sql).map_err(be)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(values(params)), |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    user_id: r.get(2)?,
                    user_name: r.get(3)?,
                    organisation_id: r.get(4)?,
                    via: r.get(5)?,
                    entity: r.get(6)?,
                    entity_id: r.get(7)?,
                    operation_id: r.get(8)?,
                    action: r.get(9)?,
                    before: r.get(10)?,
                    after: r.get(11)?,
                })
            })
            .map_err(be)?;
        let recorded = rows.map(|r| r.map_err(be)).collect::<Result<Vec<_>>>()?;
        drop(st);
        drop(c);
        let created =
            logis_store::tx::read(self, |tx| logis_store::audit::import_creations(tx, f))?;
        Ok(logis_store::audit::with_import_creations(
            recorded, created, f,
        ))
    }
}
