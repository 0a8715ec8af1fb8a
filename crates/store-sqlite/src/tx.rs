//! The store's transactions ([`logis_store::tx`]) on SQLite: a write is one `BEGIN IMMEDIATE`
//! transaction (writers go one at a time), a read one deferred transaction.

use super::*;
use logis_store::tx::{Row as TxRow, Transactions, Tx, Value};
use rusqlite::types::{Value as Lite, ValueRef};

struct LiteTx<'a>(&'a rusqlite::Transaction<'a>);

fn bind(params: &[Value]) -> Vec<Lite> {
    params
        .iter()
        .map(|p| match p {
            Value::Int(Some(i)) => Lite::Integer(*i),
            Value::Text(Some(t)) => Lite::Text(t.clone()),
            Value::Bool(Some(b)) => Lite::Integer(i64::from(*b)),
            Value::Date(Some(d)) => Lite::Text(iso_date(*d)),
            Value::Float(Some(f)) => Lite::Real(*f),
            Value::Bytes(Some(b)) => Lite::Blob(b.clone()),
            _ => Lite::Null,
        })
        .collect()
}

fn lite_error(e: rusqlite::Error) -> StoreError {
    if unique_violation(&e) {
        StoreError::Conflict(format!("contrainte d'unicité : {e}"))
    } else {
        be(e)
    }
}

impl Tx for LiteTx<'_> {
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<TxRow>> {
        let mut st = self.0.prepare_cached(sql).map_err(be)?;
        let columns = st.column_count();
        let mut rows = st
            .query(rusqlite::params_from_iter(bind(params)))
            .map_err(lite_error)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(lite_error)? {
            let mut row = Vec::with_capacity(columns);
            for i in 0..columns {
                row.push(match r.get_ref(i).map_err(be)? {
                    ValueRef::Null => Value::Int(None),
                    ValueRef::Integer(v) => Value::Int(Some(v)),
                    ValueRef::Real(v) => Value::Float(Some(v)),
                    ValueRef::Text(t) => Value::Text(Some(String::from_utf8_lossy(t).into_owned())),
                    ValueRef::Blob(b) => Value::Bytes(Some(b.to_vec())),
                });
            }
            out.push(TxRow(row));
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut st = self.0.prepare_cached(sql).map_err(be)?;
        st.execute(rusqlite::params_from_iter(bind(params)))
            .map(|n| n as u64)
            .map_err(lite_error)
    }

    fn lock_row(&mut self, _table: &'static str, _id: i64) -> Result<()> {
        // (The write transaction is IMMEDIATE: no other writer runs beside it.)
        Ok(())
    }

    fn record(&mut self, actor: &Actor, change: &Change<'_>) -> Result<()> {
        record(self.0, actor, change)
    }

    fn insert_many(
        &mut self,
        table: &'static str,
        columns: &[&'static str],
        rows: &[Vec<Value>],
    ) -> Result<u64> {
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            marks.join(", ")
        );
        let mut st = self.0.prepare_cached(&sql).map_err(be)?;
        // Each value bound by reference: no copy of its text.
        for r in rows {
            for (i, v) in r.iter().enumerate() {
                let value = match v {
                    Value::Int(Some(n)) => ValueRef::Integer(*n),
                    Value::Text(Some(t)) => ValueRef::Text(t.as_bytes()),
                    Value::Bool(Some(b)) => ValueRef::Integer(i64::from(*b)),
                    Value::Float(Some(f)) => ValueRef::Real(*f),
                    Value::Bytes(Some(b)) => ValueRef::Blob(b),
                    Value::Date(Some(d)) => {
                        st.raw_bind_parameter(i + 1, iso_date(*d))
                            .map_err(lite_error)?;
                        continue;
                    }
                    _ => ValueRef::Null,
                };
                st.raw_bind_parameter(i + 1, rusqlite::types::ToSqlOutput::Borrowed(value))
                    .map_err(lite_error)?;
            }
            st.raw_execute().map_err(lite_error)?;
        }
        Ok(rows.len() as u64)
    }
}

impl Transactions for SqliteStore {
    fn write(&self, body: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        body(&mut LiteTx(&tx))?;
        tx.commit().map_err(be)
    }

    fn read(&self, body: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        body(&mut LiteTx(&tx))
    }
}

/// A date as SQLite keeps it (YYYY-MM-DD), without parsing a format string per value.
fn iso_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}
