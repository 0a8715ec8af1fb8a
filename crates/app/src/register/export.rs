//! Export of operation lines to CSV or XLSX, streamed from the store.

use crate::Result;
use logis_io::write::{Costs, ExportFormat, LineWriter};
use logis_store::{LineFilter, Store};
use std::io::Write;

/// Write the lines matching `filter` to `out` (with their cost price or without); returns the
/// writer and how many lines were written.
pub fn export_operations<W: Write>(
    store: &dyn Store,
    filter: &LineFilter,
    format: ExportFormat,
    costs: Costs,
    out: W,
) -> Result<(W, u64)> {
    let mut writer = LineWriter::new(format, costs, out)?;
    let mut failure = None;
    let n = store.for_each_line(filter, &mut |line| {
        if let Err(e) = writer.write(&line) {
            failure = Some(e);
            return Err(logis_store::StoreError::Invalid(
                "écriture interrompue".into(),
            ));
        }
        Ok(())
    });
    if let Some(e) = failure {
        return Err(e.into());
    }
    let n = n?;
    Ok((writer.finish()?, n))
}
