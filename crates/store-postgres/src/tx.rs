//! The store's transactions ([`logis_store::tx`]) on PostgreSQL: a write is one transaction
//! (rows a writer must hold are locked with `SELECT … FOR UPDATE`), a read one read-only
//! repeatable-read transaction.

use super::*;
use logis_store::tx::{Row as TxRow, Transactions, Tx, Value};
use postgres::types::Type;

/// A transaction and the statements it prepared (each text is prepared once per transaction:
/// an import runs the same few statements for every row).
struct PgTx<'a, 'b>(
    &'a mut postgres::Transaction<'b>,
    std::collections::HashMap<String, postgres::Statement>,
);

impl PgTx<'_, '_> {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(st) = self.1.get(sql) {
            return Ok(st.clone());
        }
        let st = self.0.prepare(sql).map_err(pg_error)?;
        self.1.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

fn bind(params: &[Value]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Value::Int(v) => Box::new(*v),
                Value::Text(v) => Box::new(v.clone()),
                Value::Bool(v) => Box::new(*v),
                Value::Date(v) => Box::new(*v),
                Value::Float(v) => Box::new(*v),
                Value::Bytes(v) => Box::new(v.clone()),
            }
        })
        .collect()
}

fn pg_error(e: postgres::Error) -> StoreError {
    if is_code(&e, &SqlState::UNIQUE_VIOLATION) {
        StoreError::Conflict(format!("contrainte d'unicité : {e}"))
    } else {
        pg(e)
    }
}

fn value(r: &Row, i: usize) -> Result<Value> {
    let ty = r.columns().get(i).map(|c| c.type_().clone());
    let read = |e: postgres::Error| pg(e);
    Ok(match ty {
        Some(Type::INT8) => Value::Int(r.try_get(i).map_err(read)?),
        Some(Type::INT4) => {
            Value::Int(r.try_get::<_, Option<i32>>(i).map_err(read)?.map(i64::from))
        }
        Some(Type::INT2) => {
            Value::Int(r.try_get::<_, Option<i16>>(i).map_err(read)?.map(i64::from))
        }
        Some(Type::TEXT) | Some(Type::VARCHAR) | Some(Type::NAME) | Some(Type::BPCHAR) => {
            Value::Text(r.try_get(i).map_err(read)?)
        }
        Some(Type::BOOL) => Value::Bool(r.try_get(i).map_err(read)?),
        Some(Type::DATE) => Value::Date(r.try_get(i).map_err(read)?),
        Some(Type::FLOAT8) => Value::Float(r.try_get(i).map_err(read)?),
        Some(Type::BYTEA) => Value::Bytes(r.try_get(i).map_err(read)?),
        other => {
            return Err(StoreError::Backend(format!(
                "colonne {} : type {other:?} non pris en charge (convertissez-le dans la requête)",
                i + 1
            )));
        }
    })
}

impl Tx for PgTx<'_, '_> {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<TxRow>> {
        let owned = bind(params);
        let st = self.statement(sql)?;
        let rows = self.0.query(&st, &refs(&owned)).map_err(pg_error)?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| value(r, i))
                    .collect::<Result<Vec<_>>>()
                    .map(TxRow)
            })
            .collect()
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let owned = bind(params);
        let st = self.statement(sql)?;
        self.0.execute(&st, &refs(&owned)).map_err(pg_error)
    }

    fn lock_row(&mut self, table: &'static str, id: i64) -> Result<()> {
        self.0
            .execute(
                &format!("SELECT 1 FROM {table} WHERE id = $1 FOR UPDATE"),
                &[&id],
            )
            .map(|_| ())
            .map_err(pg)
    }

    fn record(&mut self, actor: &Actor, ch: &Change<'_>) -> Result<()> {
        // (As `audit::record`, with the transaction's prepared statements.)
        let count = self.statement(logis_store::cube::sql::COUNT_WRITE)?;
        self.0.execute(&count, &[]).map_err(pg)?;
        let insert = self.statement(logis_store::audit::sql::INSERT_AUDIT_LOG)?;
        self.0
            .execute(
                &insert,
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
            .map(|_| ())
            .map_err(pg)
    }
    fn insert_many(
        &mut self,
        table: &'static str,
        columns: &[&'static str],
        rows: &[Vec<Value>],
    ) -> Result<u64> {
        let mut buf = Vec::with_capacity(rows.len() * 64);
        for r in rows {
            let cells: Vec<Option<String>> = r
                .iter()
                .map(|v| match v {
                    Value::Int(v) => v.map(|i| i.to_string()),
                    Value::Text(v) => v.clone(),
                    Value::Bool(v) => v.map(|b| if b { "t".into() } else { "f".into() }),
                    Value::Date(v) => v.map(|d| d.format("%Y-%m-%d").to_string()),
                    Value::Float(v) => v.map(|f| f.to_string()),
                    Value::Bytes(_) => None,
                })
                .collect();
            let refs: Vec<Option<&str>> = cells.iter().map(Option::as_deref).collect();
            copy_row(&mut buf, &refs);
        }
        copy_send(
            &mut *self.0,
            &format!("COPY {table} ({}) FROM STDIN", columns.join(", ")),
            &mut buf,
        )?;
        Ok(rows.len() as u64)
    }
}

impl Transactions for PostgresStore {
    fn write(&self, body: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        body(&mut PgTx(&mut tx, Default::default()))?;
        tx.commit().map_err(pg_error)
    }

    fn read(&self, body: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(pg)?;
        body(&mut PgTx(&mut tx, Default::default()))
    }
}
