//! A file's rows read and checked on a second thread while the calling one writes them: the
//! valid rows go to the writer in batches as long as no row is refused; after the first refusal
//! the reader goes on to name every problem but sends nothing more (the writer's transaction is
//! then rolled back by its caller). The settlement observatory's imports use it (issue 21).

use crate::Result;
use logis_domain::cells::Cells;
use logis_io::RowSource;
use logis_io::read::{HeaderMap, Layout};
use logis_store::{RowProblem, StoreError};

/// The marker of a write rolled back for the file's problems (or a check-only run).
pub const ROLLED_BACK: &str = "import annulé";

/// A domain parser's errors as [`Problems`].
pub fn problems(errors: Vec<logis_domain::register::line::FieldError>) -> Problems {
    errors
        .into_iter()
        .map(|e| (e.column.to_string(), e.message))
        .collect()
}

/// Rows sent at once from the reading thread to the writing one.
const SENT: usize = 4_096;

/// A row's problems: (column, French message).
pub type Problems = Vec<(String, String)>;

/// What [`stream`] found: the problems of the file (empty: every row valid), the valid rows.
#[derive(Debug, Default)]
pub struct Streamed {
    pub problems: Vec<RowProblem>,
    pub rows: u64,
}

/// Read `source` with `layout`; `check` turns each row's cells into a draft or its problems (on
/// the reading thread, in the file's order); `write` receives the drafts in batches on the
/// calling thread while no problem is found. An empty file is a problem of its own. The store's
/// error of `write` stops the reading and is returned.
pub fn stream<T: Send>(
    mut source: Box<dyn RowSource>,
    layout: &Layout,
    check: &mut (dyn FnMut(u64, &Cells<'_>) -> std::result::Result<T, Problems> + Send),
    write: &mut dyn FnMut(Vec<(u64, T)>) -> std::result::Result<(), StoreError>,
) -> Result<Streamed> {
    let header = match HeaderMap::of(source.header(), layout) {
        Ok(h) => h,
        Err(problems) => {
            return Ok(Streamed {
                problems: crate::header_refusal(problems),
                rows: 0,
            });
        }
    };
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<(u64, T)>>(8);
    let (read, written) = std::thread::scope(|scope| {
        let header = &header;
        let reader = scope.spawn(
            move || -> std::result::Result<Streamed, logis_io::ReadError> {
                let mut out = Streamed::default();
                let mut batch = Vec::with_capacity(SENT);
                let mut row = logis_io::SourceRow::default();
                while let Some(next) = source.next_into(&mut row) {
                    next?;
                    if row.is_blank() {
                        continue;
                    }
                    let mut cells = Cells::default();
                    for (column, value) in header.cells(&row) {
                        cells.set(column, value);
                    }
                    match check(row.row, &cells) {
                        Ok(d) => {
                            out.rows += 1;
                            if out.problems.is_empty() {
                                batch.push((row.row, d));
                                if batch.len() == SENT {
                                    let full =
                                        std::mem::replace(&mut batch, Vec::with_capacity(SENT));
                                    if send.send(full).is_err() {
                                        return Ok(out);
                                    }
                                }
                            }
                        }
                        Err(problems) => {
                            batch.clear();
                            out.problems
                                .extend(problems.into_iter().map(|(column, message)| RowProblem {
                                    row: row.row,
                                    column,
                                    message,
                                }));
                        }
                    }
                }
                if out.problems.is_empty() && !batch.is_empty() {
                    let _ = send.send(batch);
                }
                if out.rows == 0 && out.problems.is_empty() {
                    out.problems.push(RowProblem {
                        row: 2,
                        column: String::new(),
                        message: "le fichier ne contient aucune ligne".into(),
                    });
                }
                Ok(out)
            },
        );
        let mut written = Ok(());
        for batch in receive.iter() {
            if let Err(e) = write(batch) {
                written = Err(e);
                break;
            }
        }
        // (Dropping the receiver stops a reader still sending.)
        drop(receive);
        let read = match reader.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (read, written)
    });
    let read = read?;
    written?;
    Ok(read)
}

/// What [`import`] did: the store's outcome, or the file refused (or only checked) and nothing
/// written.
pub enum Imported<O> {
    Written(O),
    /// The file's problems (empty: a check-only run of a valid file) and its valid rows.
    RolledBack(Streamed),
}

/// Stream `source` through `check` into the store's streamed write `write` (given the `fill`
/// that sends the rows to its sink): the write is kept when every row is valid and `commit`,
/// rolled back otherwise.
pub fn import<T: Send, O>(
    source: Box<dyn RowSource>,
    layout: &Layout,
    check: &mut (dyn FnMut(u64, &Cells<'_>) -> std::result::Result<T, Problems> + Send),
    commit: bool,
    write: impl FnOnce(&mut logis_store::tx::Fill<'_, T>) -> std::result::Result<O, StoreError>,
) -> Result<Imported<O>> {
    let mut source = Some(source);
    let mut read: Option<Result<Streamed>> = None;
    let outcome = write(&mut |sink| {
        let src = source
            .take()
            .ok_or_else(|| StoreError::Backend("import relancé".into()))?;
        let r = stream(src, layout, check, &mut |batch| {
            let rows: Vec<T> = batch.into_iter().map(|(_, d)| d).collect();
            sink(&rows)
        });
        let keep = matches!(&r, Ok(s) if s.problems.is_empty()) && commit;
        read = Some(r);
        if keep {
            Ok(())
        } else {
            Err(StoreError::Invalid(ROLLED_BACK.into()))
        }
    });
    let streamed = read.unwrap_or_else(|| Ok(Streamed::default()))?;
    match outcome {
        Ok(o) => Ok(Imported::Written(o)),
        Err(StoreError::Invalid(m)) if m == ROLLED_BACK => Ok(Imported::RolledBack(streamed)),
        Err(e) => Err(e.into()),
    }
}
