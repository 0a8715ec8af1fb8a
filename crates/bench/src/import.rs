//! `logis-bench import [LINES] [--postgres]` (issue 19): the import of LINES operation lines
//! (default 1,000,000; the file generated once under bench-data/) into a fresh database, then the
//! same file again (nothing changes), each in its own process so that peak memory is per phase;
//! beside it, in the same run, DuckDB loading the same file into its own database and grouping it
//! by commune × year × product (`scripts/bench-duckdb-import.py`, Python from
//! `LOGIS_BENCH_PYTHON`, see `scripts/ensure-bench-python.sh`). Prints a Markdown table and the ratio.

use super::*;

/// In this process: a fresh database, the import, then the same file again; prints
/// "import N SECONDS", "reimport N SECONDS" and "peak MIB".
pub(crate) fn phase(kind: Kind, file: &Path) {
    let db = prepare(kind);
    let (n, first) = import(&db, file);
    report("import", n, first);
    let (n, again) = import(&db, file);
    report("reimport", n, again);
    println!("peak {:.0}", peak_rss_mib());
}

fn field(text: &str, key: &str) -> Option<Vec<String>> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|rest| rest.split_whitespace().map(str::to_string).collect())
}

pub(crate) fn run(lines: u64, postgres: bool) {
    let file = generated(lines);
    let backends: &[&str] = if postgres {
        &["sqlite", "postgres"]
    } else {
        &["sqlite"]
    };
    println!("| moteur | chargement (s) | lignes par seconde | mémoire de pointe (Mio) |");
    println!("|---|---:|---:|---:|");
    let mut sqlite_first = f64::NAN;
    for backend in backends {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["phase-import", backend, file.to_str().unwrap()])
            .output()
            .expect("phase");
        if !out.status.success() {
            panic!(
                "phase {backend} : {}",
                String::from_utf8_lossy(&out.stderr)
                    .chars()
                    .take(3000)
                    .collect::<String>()
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let peak = field(&text, "peak ")
            .and_then(|f| f.first().cloned())
            .unwrap_or_default();
        for (what, label) in [
            ("import ", "import"),
            ("reimport ", "réimport (rien ne change)"),
        ] {
            if let Some(f) = field(&text, what)
                && let [n, secs] = &f[..]
            {
                let s: f64 = secs.parse().unwrap_or(f64::NAN);
                let n: f64 = n.parse().unwrap_or(f64::NAN);
                if *backend == "sqlite" && what == "import " {
                    sqlite_first = s;
                }
                println!(
                    "| logis, {backend}, {label} | {s:.2} | {:.0} | {peak} |",
                    n / s
                );
            }
        }
    }
    let python = std::env::var("LOGIS_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench-duckdb-import.py");
    match Command::new(python).arg(script).arg(&file).output() {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            if let Some(f) = field(&text, "duckdb ")
                && let [load, group, rows, peak] = &f[..]
            {
                let load: f64 = load.parse().unwrap_or(f64::NAN);
                let group: f64 = group.parse().unwrap_or(f64::NAN);
                let rows: f64 = rows.parse().unwrap_or(f64::NAN);
                println!(
                    "| DuckDB 1.1.3 : chargement du CSV dans sa base, puis regroupement commune × année × produit ({group:.2} s) | {:.2} | {:.0} | {peak} |",
                    load + group,
                    rows / (load + group)
                );
                println!();
                println!(
                    "ratio logis (SQLite, premier import) / DuckDB (chargement + regroupement) : {:.1}",
                    sqlite_first / (load + group)
                );
            }
        }
        Ok(o) => eprintln!("duckdb : {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => eprintln!("duckdb : {e}"),
    }
}
