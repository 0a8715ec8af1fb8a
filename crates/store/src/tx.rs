//! One transaction, whatever the backend: run SQL written once (`$N` parameters in order of
//! first appearance) with typed values, read rows back as values, record the audit trail. A
//! capability whose SQL both dialects read alike writes its whole storage once, on top of
//! [`Transactions`], as default methods of its port trait (see `land.rs`): its adapters only
//! declare `impl LandStore for SqliteStore {}`. An adapter writes SQL of its own only where the
//! dialects differ or speed asks for it (the register's imports).

use crate::audit::{Actor, Change};
use crate::{Result, StoreError};
use chrono::NaiveDate;

/// A value bound to a statement or read from a row. Parameters say their type even when
/// empty (PostgreSQL checks each parameter's type against the statement's).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Date(Option<NaiveDate>),
    /// Read only (a `REAL` or `DOUBLE PRECISION` result).
    Float(Option<f64>),
    /// Bytes (`BLOB`, `BYTEA`): a report's photos.
    Bytes(Option<Vec<u8>>),
}

impl Value {
    pub fn int(v: i64) -> Value {
        Value::Int(Some(v))
    }
    pub fn text(v: impl Into<String>) -> Value {
        Value::Text(Some(v.into()))
    }
    pub fn date(v: NaiveDate) -> Value {
        Value::Date(Some(v))
    }
    /// A count or size as stored (signed).
    pub fn count(v: Option<u64>) -> Value {
        Value::Int(v.map(|n| i64::try_from(n).unwrap_or(i64::MAX)))
    }
    pub fn is_null(&self) -> bool {
        matches!(
            self,
            Value::Int(None)
                | Value::Text(None)
                | Value::Bool(None)
                | Value::Date(None)
                | Value::Float(None)
                | Value::Bytes(None)
        )
    }
}

/// One row read back: typed accessors by column index, a backend error when the stored value
/// is not what the SQL promised.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row(pub Vec<Value>);

fn unreadable(i: usize, want: &str, v: Option<&Value>) -> StoreError {
    StoreError::Backend(format!("colonne {i} : {want} attendu, lu {v:?}", i = i + 1))
}

impl Row {
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        match self.0.get(i) {
            Some(Value::Int(v)) => Ok(*v),
            Some(Value::Bool(b)) => Ok(b.map(i64::from)),
            Some(v) if v.is_null() => Ok(None),
            other => Err(unreadable(i, "un entier", other)),
        }
    }
    pub fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| unreadable(i, "un entier", self.0.get(i)))
    }
    pub fn opt_count(&self, i: usize) -> Result<Option<u64>> {
        Ok(self.opt_int(i)?.map(|v| v.max(0) as u64))
    }
    pub fn count(&self, i: usize) -> Result<u64> {
        Ok(self.opt_count(i)?.unwrap_or(0))
    }
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.0.get(i) {
            Some(Value::Text(v)) => Ok(v.clone()),
            Some(v) if v.is_null() => Ok(None),
            other => Err(unreadable(i, "un texte", other)),
        }
    }
    pub fn text(&self, i: usize) -> Result<String> {
        Ok(self.opt_text(i)?.unwrap_or_default())
    }
    /// A text without copying it (NULL: empty).
    pub fn str(&self, i: usize) -> Result<&str> {
        match self.0.get(i) {
            Some(Value::Text(Some(v))) => Ok(v),
            Some(v) if v.is_null() => Ok(""),
            other => Err(unreadable(i, "un texte", other)),
        }
    }
    /// A text taken out of the row (NULL: empty), for rows read once.
    pub fn take_text(&mut self, i: usize) -> Result<String> {
        match self.0.get_mut(i) {
            Some(Value::Text(v)) => Ok(v.take().unwrap_or_default()),
            Some(v) if v.is_null() => Ok(String::new()),
            other => Err(unreadable(i, "un texte", other.map(|v| &*v))),
        }
    }
    pub fn opt_bool(&self, i: usize) -> Result<Option<bool>> {
        match self.0.get(i) {
            Some(Value::Bool(v)) => Ok(*v),
            Some(Value::Int(v)) => Ok(v.map(|n| n != 0)),
            Some(v) if v.is_null() => Ok(None),
            other => Err(unreadable(i, "un booléen", other)),
        }
    }
    /// A date: SQLite keeps `YYYY-MM-DD` texts, PostgreSQL dates.
    pub fn opt_date(&self, i: usize) -> Result<Option<NaiveDate>> {
        match self.0.get(i) {
            Some(Value::Date(v)) => Ok(*v),
            Some(Value::Text(Some(t))) => iso_date(t)
                .map(Some)
                .ok_or_else(|| StoreError::Backend(format!("date stockée illisible « {t} »"))),
            Some(v) if v.is_null() => Ok(None),
            other => Err(unreadable(i, "une date", other)),
        }
    }
    pub fn date(&self, i: usize) -> Result<NaiveDate> {
        self.opt_date(i)?
            .ok_or_else(|| unreadable(i, "une date", self.0.get(i)))
    }
    pub fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        match self.0.get(i) {
            Some(Value::Bytes(Some(b))) => Ok(b.clone()),
            other => Err(unreadable(i, "des octets", other)),
        }
    }
}

/// A date as SQLite keeps it (`YYYY-MM-DD`), read without the general parser (lists and
/// committees read tens of thousands of them).
fn iso_date(t: &str) -> Option<NaiveDate> {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

/// What a capability's storage needs of a transaction.
pub trait Tx {
    /// Run a statement that returns rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
    /// Run a statement; the number of rows it changed. A unique constraint refused is
    /// [`StoreError::Conflict`].
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Insert and return the new row's `id` (the statement ends with `RETURNING id`).
    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<i64> {
        self.query(sql, params)?
            .first()
            .map(|r| r.int(0))
            .unwrap_or_else(|| Err(StoreError::Backend("insertion sans identifiant".into())))
    }
    /// Hold the row `id` of `table` until the transaction ends, so that two writers of it go one
    /// after the other (PostgreSQL: `SELECT … FOR UPDATE`; SQLite's write transactions already
    /// go one at a time).
    fn lock_row(&mut self, table: &'static str, id: i64) -> Result<()>;
    /// Record one change in the audit trail, in this transaction.
    fn record(&mut self, actor: &Actor, change: &Change<'_>) -> Result<()>;
    /// Insert many rows of `columns` into `table` at once (a file of millions of rows): one
    /// prepared statement run for each row here; PostgreSQL sends them by `COPY`.
    fn insert_many(
        &mut self,
        table: &'static str,
        columns: &[&'static str],
        rows: &[Vec<Value>],
    ) -> Result<u64> {
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(", "),
            marks.join(", ")
        );
        let mut n = 0;
        for r in rows {
            n += self.execute(&sql, r)?;
        }
        Ok(n)
    }
}

/// Where a streamed write sends its rows (in batches, as a file is read).
pub type Sink<'a, T> = dyn FnMut(&[T]) -> Result<()> + 'a;
/// What fills a streamed write: given the sink, sends every row (its error rolls back).
pub type Fill<'a, T> = dyn for<'s> FnMut(&'s mut Sink<'s, T>) -> Result<()> + 'a;

/// Transactions over the store: `write` commits when `body` succeeds and rolls back
/// otherwise; `read` sees one consistent state.
pub trait Transactions: Send + Sync {
    fn write(&self, body: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;
    fn read(&self, body: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;
}

/// `body`'s answer from a write transaction.
pub fn write<T>(
    store: &(impl Transactions + ?Sized),
    mut body: impl FnMut(&mut dyn Tx) -> Result<T>,
) -> Result<T> {
    let mut out = None;
    store.write(&mut |tx| {
        out = Some(body(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Backend("transaction sans réponse".into()))
}

/// `body`'s answer from a read transaction.
pub fn read<T>(
    store: &(impl Transactions + ?Sized),
    mut body: impl FnMut(&mut dyn Tx) -> Result<T>,
) -> Result<T> {
    let mut out = None;
    store.read(&mut |tx| {
        out = Some(body(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Backend("transaction sans réponse".into()))
}

/// What one row of an import did, or its problem (column, French message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    Updated,
    Unchanged,
}

pub type RowResult = std::result::Result<Put, (&'static str, String)>;

/// What an import did: committed, or every row's problem and nothing written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub problems: Vec<crate::register::RowProblem>,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub committed: bool,
}

/// The marker of an import rolled back for its rows' problems.
const ROLLED_BACK: &str = "import annulé";

/// Run `rows` (the file's row number and a draft) through `put` in one write transaction:
/// every row's problem is kept, and any problem rolls the whole import back.
pub fn import_rows<T>(
    store: &(impl Transactions + ?Sized),
    rows: &[(u64, T)],
    put: &dyn Fn(&mut dyn Tx, &T) -> Result<RowResult>,
) -> Result<Imported> {
    let mut out = Imported::default();
    let result = store.write(&mut |tx| {
        out = Imported::default();
        for (row, d) in rows {
            match put(tx, d)? {
                Ok(Put::Created) => out.created += 1,
                Ok(Put::Updated) => out.updated += 1,
                Ok(Put::Unchanged) => out.unchanged += 1,
                Err((column, message)) => out.problems.push(crate::register::RowProblem {
                    row: *row,
                    column: column.into(),
                    message,
                }),
            }
        }
        if out.problems.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Invalid(ROLLED_BACK.into()))
        }
    });
    match result {
        Ok(()) => {
            out.committed = true;
            Ok(out)
        }
        Err(StoreError::Invalid(m)) if m == ROLLED_BACK => Ok(out),
        Err(e) => Err(e),
    }
}
