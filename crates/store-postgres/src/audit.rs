use super::*;
use logis_store::audit::sql;

/// Record one change in the audit trail, on the transaction making it (and count the write:
/// see [`logis_store::RegisterStore::data_stamp`]); the new row's id.
pub(crate) fn record_returning(
    c: &mut impl postgres::GenericClient,
    actor: &Actor,
    ch: &Change<'_>,
) -> Result<i64> {
    c.execute(logis_store::cube::sql::COUNT_WRITE, &[])
        .map_err(pg)?;
    let row = c
        .query_one(
            &format!("{} RETURNING id", sql::INSERT_AUDIT_LOG),
            &[
                &now(),
                &actor.user_id,
                &actor.name,
                &actor.organisation_id,
                &actor.via.code(),
                &ch.entity,
                &ch.entity_id,
                &ch.operation_id,
                &ch.action,
                &ch.before_text(),
                &ch.after_text(),
            ],
        )
        .map_err(pg)?;
    Ok(row.get(0))
}

/// [`record_returning`], the id left.
pub(crate) fn record(
    c: &mut impl postgres::GenericClient,
    actor: &Actor,
    ch: &Change<'_>,
) -> Result<()> {
    record_returning(c, actor, ch).map(|_| ())
}

impl AuditStore for PostgresStore {
    fn audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let (sql, params) = logis_store::audit::audit_query(f, DIALECT);
        let owned = pg_params(params);
        let recorded = self
            .conn()?
            .query(sql.as_str(), &refs(&owned))
            .map_err(pg)?
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at: r.get(1),
                user_id: r.get(2),
                user_name: r.get(3),
                organisation_id: r.get(4),
                via: r.get(5),
                entity: r.get(6),
                entity_id: r.get(7),
                operation_id: r.get(8),
                action: r.get(9),
                before: r.get(10),
                after: r.get(11),
            })
            .collect();
        let created =
            logis_store::tx::read(self, |tx| logis_store::audit::import_creations(tx, f))?;
        Ok(logis_store::audit::with_import_creations(
            recorded, created, f,
        ))
    }
}
