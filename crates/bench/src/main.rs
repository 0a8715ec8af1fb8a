//! `logis-bench [LINES]`: generate an exchange-format CSV of LINES operation lines (default
//! 1,000,000), then, each in its own process so that peak memory is measured per phase, import
//! it into a fresh SQLite file and a fresh PostgreSQL database, import it again (nothing
//! changes), and export the register back to CSV. Prints a Markdown table for BENCHMARKS.md.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use logis_app::demo::Rng;
use logis_app::register::import::{ImportOptions, import_operations};
use logis_conformance::{Kind, TestDb};
use logis_io::write::ExportFormat;
use logis_store::LineFilter;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

mod import;
mod land;
mod plans;
mod proximity;
mod relocation;
mod settlement;
mod stock;

const LANDLORDS: [&str; 3] = ["Flandre Opale Habitat", "Partenord Habitat", "Vilogia"];

/// Peak resident memory of this process, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// p50 and p99 of 30 runs of `f`, in milliseconds (the pages' figures).
fn percentiles(mut f: impl FnMut()) -> (f64, f64) {
    let mut times: Vec<f64> = (0..30)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[15], times[29])
}

/// The words after `key` on the first line of a phase's output that starts with it.
fn field(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|rest| rest.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Uniform in 0..n, from the demo's deterministic generator.
fn below(rng: &mut Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

fn generate(path: &Path, lines: u64) {
    let data = logis_io::reference::embedded().expect("référentiel");
    let mut names = std::collections::HashMap::new();
    for c in &data.communes {
        *names
            .entry(logis_domain::text::name_key(&c.name))
            .or_insert(0u32) += 1;
    }
    for f in &data.former {
        *names
            .entry(logis_domain::text::name_key(&f.name))
            .or_insert(0u32) += 1;
    }
    let communes: Vec<_> = data
        .communes
        .iter()
        .filter(|c| c.department == "59" || c.department == "62")
        .collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("fichier de bench"));
    writeln!(out, "reference;bailleur;commune;programme;libelle;nature;site;produit;financement;logements;annee;stade;date_stade;cout;projet").unwrap();
    let mut rng = Rng(2030);
    let mut written = 0u64;
    let mut op = 0u64;
    while written < lines {
        op += 1;
        let landlord = LANDLORDS[below(&mut rng, 3) as usize];
        let c = communes[below(&mut rng, communes.len() as u64) as usize];
        // By name one time in two (when the name is unique in France), as housing officers
        // write them; else by INSEE code.
        let unique = names.get(&logis_domain::text::name_key(&c.name)) == Some(&1);
        let commune = if op.is_multiple_of(2) && unique {
            c.name.to_uppercase()
        } else {
            c.code.as_str().to_string()
        };
        let year = 2005 + below(&mut rng, 30);
        let label = format!("Opération {op} — {}", c.name);
        let kind = below(&mut rng, 10);
        let rows: Vec<String> = match kind {
            0..=5 => ["PLUS", "PLAI", "PLS"]
                .iter()
                .take(1 + below(&mut rng, 3) as usize)
                .map(|p| {
                    format!(
                        "Construction neuve;;{p};;{};{year};Agrément;15/03/{year};{} {:03} 000,00",
                        1 + below(&mut rng, 60),
                        1 + below(&mut rng, 9),
                        below(&mut rng, 1000)
                    )
                })
                .collect(),
            6 | 7 => vec![
                format!(
                    "Réhabilitation;;;Palulos;{};{year};;;",
                    10 + below(&mut rng, 200)
                ),
                format!(
                    "Réhabilitation;;;Éco-prêt;{};{year};;;",
                    10 + below(&mut rng, 200)
                ),
            ],
            _ => vec![
                format!("Démolition;;;;{};{year};;;", 10 + below(&mut rng, 300)),
                format!(
                    "Reconstruction;hors_site;PLUS-CD;;{};{};;;",
                    10 + below(&mut rng, 100),
                    year + 1
                ),
            ],
        };
        // Renewal projects (ANRU): every demolition and reconstruction, one rehabilitation in
        // four, in 300 projects each spread over several communes (its reconstructions then
        // fall in its own commune or in others). Drawn from the operation's number, so that the
        // rest of the file is that of version 2.
        let project = match kind {
            8 | 9 => format!("PRU {}", op % 300),
            6 | 7 if op.is_multiple_of(4) => format!("PRU {}", op % 300),
            _ => String::new(),
        };
        for r in rows {
            if written == lines {
                break;
            }
            writeln!(
                out,
                "B-{op};{landlord};{commune};Bench {};{label};{r};{project}",
                c.department
            )
            .unwrap();
            written += 1;
        }
    }
    out.flush().unwrap();
}

fn prepare(kind: Kind) -> TestDb {
    let db = TestDb::fresh(kind);
    setup(&db);
    db
}

/// Reference geography, the CUD as territory, the bench's programmes and landlords.
fn setup(db: &TestDb) {
    logis_app::reference::init(db.store.as_ref()).expect("init");
    let cud = logis_domain::Siren::parse(logis_app::demo::CUD_SIREN).expect("SIREN CUD");
    logis_app::reference::set_territory(
        db.store.as_ref(),
        &logis_conformance::actor(),
        &logis_domain::Territory::epci(cud),
    )
    .expect("territoire");
    for dept in ["59", "62"] {
        db.add_programme(
            &logis_conformance::actor(),
            &logis_store::NewProgramme {
                name: format!("Bench {dept}"),
                description: String::new(),
                start_year: None,
                end_year: None,
                epci: None,
            },
        )
        .expect("programme");
    }
    for name in LANDLORDS {
        db.add_organisation(
            &logis_conformance::actor(),
            &logis_store::NewOrganisation {
                kind: logis_domain::OrgKind::Landlord,
                name: name.into(),
                siren: None,
                commune: None,
            },
        )
        .expect("bailleur");
    }
}

fn import(db: &TestDb, file: &Path) -> (u64, f64) {
    let mut src = logis_io::open_path(file).expect("lecture");
    let t = Instant::now();
    let r = import_operations(
        db.store.as_ref(),
        &logis_conformance::actor(),
        src.as_mut(),
        &ImportOptions {
            commit: true,
            territory: None,
            only_landlord: None,
        },
        &mut |_| {},
    )
    .expect("import");
    assert!(r.committed, "{}", r.render_fr());
    (r.stats.lines_read, t.elapsed().as_secs_f64())
}

/// One phase, in this process: prints "lines seconds peak_mib".
fn phase(kind: Kind, file: &Path) {
    let db = prepare(kind);
    let (n, first) = import(&db, file);
    report("import", n, first);
    let (n, again) = import(&db, file);
    report("reimport", n, again);
    let t = Instant::now();
    let out =
        std::io::BufWriter::new(std::fs::File::create(file.with_extension("export.csv")).unwrap());
    let (_, n) = logis_app::register::export::export_operations(
        db.store.as_ref(),
        &LineFilter::default(),
        ExportFormat::Csv,
        logis_io::write::Costs::Included,
        out,
    )
    .expect("export");
    report("export", n, t.elapsed().as_secs_f64());
    // The first aggregate after the imports reads the register into memory (logis_store::cube).
    let t = Instant::now();
    let all = db.aggregate(&LineFilter::default(), &[]).expect("somme");
    report("cube", all.get(0).lines as u64, t.elapsed().as_secs_f64());
    println!("peak {:.0}", peak_rss_mib());
    reports(&db);
}

/// Time every report (the store's aggregates and the layout, not the rendering) on three scopes:
/// one EPCI's territory (the CUD), one programme (half the register), the whole register.
fn reports(db: &TestDb) {
    use logis_app::reports::{ReportName, build_at};
    // BENCH_HALVES=N: scans of N lines or more cut in two halves read at once (see
    // `logis_store::cube::share_scans_from`; a number beyond the register's lines: never).
    let _halves = std::env::var("BENCH_HALVES")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(logis_store::cube::share_scans_from);
    // The first aggregate reads the register into memory.
    let t = Instant::now();
    db.store
        .aggregate(&LineFilter::default(), &[])
        .expect("somme");
    eprintln!("registre en mémoire : {:.2} s", t.elapsed().as_secs_f64());
    let text = logis_app::register::targets::TargetsText {
        programme: "Bench 59".into(),
        scope: "production".into(),
        total: Some(300_000),
        first_year: 2005,
        last_year: 2034,
        social_percent: Some(40),
        band: Some("8000-12000".into()),
        splits: Vec::new(),
    };
    logis_app::register::targets::set_targets(
        db.store.as_ref(),
        &logis_conformance::actor(),
        &text,
    )
    .expect("objectifs");
    let bench59 = db
        .programmes()
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Bench 59")
        .map(|p| p.id);
    let cud = logis_domain::Siren::parse("245900428").ok();
    let scopes: [(&str, LineFilter, usize); 3] = [
        (
            "EPCI (CUD)",
            LineFilter {
                epci: cud.clone(),
                programme_id: bench59,
                ..LineFilter::default()
            },
            100,
        ),
        (
            "programme",
            LineFilter {
                programme_id: bench59,
                ..LineFilter::default()
            },
            30,
        ),
        ("registre entier", LineFilter::default(), 30),
    ];
    // BENCH_RUNS=N: N runs of each row instead of the defaults.
    let runs_wanted: Option<usize> = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok());
    for (scope, filter, runs) in scopes {
        let runs = runs_wanted.unwrap_or(runs);
        for name in ReportName::ALL {
            let mut f = filter.clone();
            if *name == ReportName::Programme && f.programme_id.is_none() {
                f.programme_id = bench59;
            }
            // The whole report (an XLSX or HTML file), its long table (a CSV), then its first
            // page of 200 grid rows (what a page shows).
            for shape in ["", " (csv)", " (page)"] {
                // BENCH_ONLY="rehabilitation (page)|registre": only the rows it names.
                let label = format!("{}{shape}|{scope}", name.code());
                if std::env::var("BENCH_ONLY").is_ok_and(|o| !label.starts_with(&o)) {
                    continue;
                }
                let mut times = Vec::new();
                let mut rows = 0;
                for _ in 0..runs {
                    let t = Instant::now();
                    let r = match shape {
                        " (page)" => {
                            logis_app::reports::build_page(db.store.as_ref(), *name, &f, 1, 200)
                                .map(|(r, _)| r)
                        }
                        " (csv)" => logis_app::reports::build_long(db.store.as_ref(), *name, &f),
                        _ => build_at(db.store.as_ref(), *name, &f, 2026),
                    }
                    .expect("rapport");
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    rows = if shape == " (page)" {
                        r.grid.rows.len()
                    } else {
                        r.long_rows.len()
                    };
                }
                times.sort_by(f64::total_cmp);
                let p50 = times[times.len() / 2];
                let p99 = times[((times.len() as f64 * 0.99).ceil() as usize).saturating_sub(1)];
                println!(
                    "rep {}{shape}|{scope}|{runs}|{rows}|{p50:.1}|{p99:.1}",
                    name.code()
                );
            }
        }
    }
}

/// The bench's file of `lines` operation lines, generated once under bench-data/.
fn generated(lines: u64) -> PathBuf {
    let dir = PathBuf::from("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("operations-v3-{lines}.csv"));
    if !file.exists() {
        let t = Instant::now();
        generate(&file, lines);
        eprintln!("fichier généré en {:.1} s", t.elapsed().as_secs_f64());
    }
    file
}

fn report(what: &str, n: u64, secs: f64) {
    println!("{what} {n} {secs:.3}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("phase") {
        let kind = if args[2] == "sqlite" {
            Kind::Sqlite
        } else {
            Kind::Postgres
        };
        phase(kind, Path::new(&args[3]));
        return;
    }
    // `logis-bench import [N] [--postgres]`: the import beside DuckDB (see import.rs).
    if args.get(1).map(String::as_str) == Some("phase-import") {
        let kind = if args[2] == "sqlite" {
            Kind::Sqlite
        } else {
            Kind::Postgres
        };
        import::phase(kind, Path::new(&args[3]));
        return;
    }
    if args.get(1).map(String::as_str) == Some("import") {
        let n = args
            .get(2)
            .filter(|a| !a.starts_with("--"))
            .and_then(|s| s.replace('_', "").parse().ok())
            .unwrap_or(1_000_000);
        import::run(n, args.iter().any(|a| a == "--postgres"));
        return;
    }
    // `logis-bench parc [ROWS] [--postgres]`: the RPLS import beside DuckDB (see stock.rs).
    if args.get(1).map(String::as_str) == Some("phase-parc") {
        let kind = if args[2] == "sqlite" {
            Kind::Sqlite
        } else {
            Kind::Postgres
        };
        stock::phase(kind, Path::new(&args[3]));
        return;
    }
    if args.get(1).map(String::as_str) == Some("parc") {
        let n = args
            .get(2)
            .filter(|a| !a.starts_with("--"))
            .and_then(|s| s.replace('_', "").parse().ok())
            .unwrap_or(5_400_000);
        stock::run(n, args.iter().any(|a| a == "--postgres"));
        return;
    }
    // `logis-bench peuplement [LEASES] [HOUSEHOLDS] [--postgres]`: the settlement observatory
    // beside DuckDB (see settlement.rs).
    if args.get(1).map(String::as_str) == Some("phase-peuplement") {
        let kind = if args[2] == "sqlite" {
            Kind::Sqlite
        } else {
            Kind::Postgres
        };
        settlement::phase(kind, Path::new(&args[3]), Path::new(&args[4]));
        return;
    }
    if args.get(1).map(String::as_str) == Some("peuplement") {
        let numbers: Vec<u64> = args
            .iter()
            .skip(2)
            .filter(|a| !a.starts_with("--"))
            .filter_map(|s| s.replace('_', "").parse().ok())
            .collect();
        settlement::run(
            numbers.first().copied().unwrap_or(200_000),
            numbers.get(1).copied().unwrap_or(440_000),
            args.iter().any(|a| a == "--postgres"),
        );
        return;
    }
    // `logis-bench psp [RESIDENCES] [--postgres]`: the landlords' strategic plans (see plans.rs).
    if args.get(1).map(String::as_str) == Some("phase-psp") {
        let kind = if args[2] == "sqlite" {
            Kind::Sqlite
        } else {
            Kind::Postgres
        };
        let files: Vec<PathBuf> = args[3..].iter().map(PathBuf::from).collect();
        plans::phase(kind, &files);
        return;
    }
    if args.get(1).map(String::as_str) == Some("psp") {
        let n = args
            .get(2)
            .filter(|a| !a.starts_with("--"))
            .and_then(|s| s.replace('_', "").parse().ok())
            .unwrap_or(5_000);
        plans::run(n, args.iter().any(|a| a == "--postgres"));
        return;
    }
    // `logis-bench foncier N`: the land bank and grouped tenders (see land.rs).
    if args.get(1).map(String::as_str) == Some("phase-foncier") {
        let kind = if args[2] == "sqlite" {
            Kind::Sqlite
        } else {
            Kind::Postgres
        };
        land::phase(kind, Path::new(&args[3]));
        return;
    }
    // `logis-bench proximite [N] [--postgres]`: proximity management (see proximity.rs).
    if args.get(1).map(String::as_str) == Some("phase-proximite") {
        let kind = if args[2] == "sqlite" {
            Kind::Sqlite
        } else {
            Kind::Postgres
        };
        proximity::phase(kind, args[3].parse().unwrap());
        return;
    }
    // `logis-bench relogement [MENAGES] [LOGEMENTS]`: the matching beside SciPy (relocation.rs).
    if args.get(1).map(String::as_str) == Some("relogement") {
        let n = |i: usize, d: usize| {
            args.get(i)
                .and_then(|s| s.replace('_', "").parse().ok())
                .unwrap_or(d)
        };
        relocation::run(n(2, 2_000), n(3, 10_000));
        return;
    }
    if args.get(1).map(String::as_str) == Some("proximite") {
        let n = args
            .get(2)
            .and_then(|s| s.replace('_', "").parse().ok())
            .unwrap_or(100_000);
        proximity::run(n, args.iter().any(|a| a == "--postgres"));
        return;
    }
    let land_only = args.get(1).map(String::as_str) == Some("foncier");
    // `logis-bench preparer FILE DB.sqlite|URL [--encore]`: import FILE into a new SQLite file (or
    // the empty database at URL) kept afterwards (`--encore`: then the same file again);
    // `logis-bench rapports URL`: time the reports on that database (to profile them alone).
    if args.get(1).map(String::as_str) == Some("preparer") {
        let url = if args[3].contains("://") {
            args[3].clone()
        } else {
            format!("sqlite://{}", args[3])
        };
        let store = logis_conformance::connect(&url).expect("base");
        let db = TestDb::wrap(store, url);
        setup(&db);
        let (n, secs) = import(&db, Path::new(&args[2]));
        report("import", n, secs);
        if args.iter().any(|a| a == "--encore") {
            let (n, secs) = import(&db, Path::new(&args[2]));
            report("reimport", n, secs);
        }
        return;
    }
    if args.get(1).map(String::as_str) == Some("rapports") {
        let store = logis_conformance::connect(&args[2]).expect("base");
        reports(&TestDb::wrap(store, args[2].clone()));
        return;
    }
    // `logis-bench generer N`: only write the file (for scripts/bench-pages.sh).
    let only_generate = args.get(1).map(String::as_str) == Some("generer");
    let lines: u64 = args
        .get(if only_generate || land_only { 2 } else { 1 })
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let file = generated(lines);
    if only_generate {
        println!("{}", file.display());
        return;
    }
    if land_only {
        land::run(&file);
        return;
    }
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / 1_048_576.0;
    println!("| base | phase | lignes | secondes | lignes/s | pic mémoire du processus (Mio) |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut reports_table: Vec<String> = Vec::new();
    for backend in ["sqlite", "postgres"] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["phase", backend, file.to_str().unwrap()])
            .output()
            .expect("phase");
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            panic!(
                "phase {backend} : {}",
                err.chars().take(3000).collect::<String>()
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let peak = text
            .lines()
            .find_map(|l| l.strip_prefix("peak "))
            .unwrap_or("?")
            .to_string();
        reports_table.extend(
            text.lines()
                .filter_map(|l| l.strip_prefix("rep "))
                .map(|l| format!("{backend}|{l}")),
        );
        for l in text
            .lines()
            .filter(|l| !l.starts_with("peak") && !l.starts_with("rep ") && !l.trim().is_empty())
        {
            let f: Vec<&str> = l.split(' ').collect();
            let (n, s): (f64, f64) = (f[1].parse().unwrap(), f[2].parse().unwrap());
            println!(
                "| {backend} | {} | {} | {:.1} | {:.0} | {peak} |",
                f[0],
                f[1],
                s,
                n / s
            );
        }
    }
    println!();
    println!(
        "| base | rapport | périmètre | exécutions | lignes (table longue ; grille) | p50 (ms) | p99 (ms) |"
    );
    println!("|---|---|---|---:|---:|---:|---:|");
    for r in reports_table {
        println!("| {} |", r.replace('|', " | "));
    }
    eprintln!("fichier : {} ({size:.0} Mio)", file.display());
}
