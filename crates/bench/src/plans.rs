//! `logis-bench psp [RESIDENCES] [--postgres]` (issue 22): three landlords' strategic plans of
//! RESIDENCES residences each (default 5,000, about 150,000 dwellings: the size of Maisons &
//! Cités and Pas-de-Calais habitat) over the Pas-de-Calais, generated once under bench-data/,
//! imported into a fresh database (each backend in its own process), a partnership sharing them
//! and a joint plan of 60 actions; then the cross-analysis as the page builds it (the EPCI's,
//! and a member landlord's reader's: p50 and p99 of 30 builds) and the committee's workbook.
//! Beside it, in the same run, DuckDB loads the three files and computes the cross-analysis's
//! sums, gaps and overlaps (`scripts/bench-duckdb-plans.py`).

use super::*;

pub(crate) const PLAN_LANDLORDS: [&str; 3] =
    ["Pas-de-Calais habitat", "Maisons & Cités", "CDC Habitat"];

fn generate(path: &Path, landlord: usize, n: u64) {
    let data = logis_io::reference::embedded().expect("référentiel");
    let communes: Vec<_> = data
        .communes
        .into_iter()
        .filter(|c| c.department == "62" && c.population.unwrap_or(0) > 3_000)
        .collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "residence;commune;quartier;logements;annee_construction;dpe;attractivite;etat_technique;strategie;annee_debut;annee_fin;cout_estime;classe_visee;rpls").unwrap();
    let strategies = [
        ("maintenir", 45),
        ("rehabiliter", 30),
        ("restructurer", 6),
        ("demolir", 5),
        ("vendre", 9),
        ("developper", 5),
    ];
    let labels = ["B", "C", "C", "D", "D", "D", "E", "E", "F", "G"];
    let mut rng = Rng(22_000 + landlord as u64);
    for i in 0..n {
        let c = &communes[below(&mut rng, communes.len() as u64) as usize];
        let mut x = below(&mut rng, 100);
        let strategy = strategies
            .iter()
            .find(|(_, w)| {
                let hit = x < *w;
                x = x.saturating_sub(*w);
                hit
            })
            .map_or("maintenir", |s| s.0);
        let start = 2025 + below(&mut rng, 10);
        let (start, end) = match strategy {
            "maintenir" => (String::new(), String::new()),
            "vendre" => (start.to_string(), start.to_string()),
            _ => (
                start.to_string(),
                (start + 1 + below(&mut rng, 2)).to_string(),
            ),
        };
        // A quartier in one residence out of three (eight per commune): the overlaps' ground.
        let quartier = if below(&mut rng, 3) == 0 {
            format!("Q{}", below(&mut rng, 8))
        } else {
            String::new()
        };
        writeln!(
            out,
            "Résidence {i};{};{quartier};{};{};{};{};{};{strategy};{start};{end};{};;",
            c.code.as_str(),
            10 + below(&mut rng, 41),
            1920 + below(&mut rng, 100),
            labels[below(&mut rng, labels.len() as u64) as usize],
            1 + below(&mut rng, 4),
            1 + below(&mut rng, 4),
            below(&mut rng, 5_000_000),
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// The three generated files (made once).
fn generated(n: u64) -> Vec<PathBuf> {
    let dir = PathBuf::from("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    (0..3)
        .map(|i| {
            let p = dir.join(format!("psp-{i}-{n}.csv"));
            if !p.exists() {
                let tmp = p.with_extension("tmp");
                generate(&tmp, i, n);
                std::fs::rename(&tmp, &p).unwrap();
            }
            p
        })
        .collect()
}

/// In this process: a fresh database, the three imports, the partnership and joint plan, then
/// the pages' and the workbook's times. Prints "import DWELLINGS SECONDS", "page P50 P99",
/// "page-member P50 P99", "committee SECONDS ACTIONS", "peak MIB".
pub(crate) fn phase(kind: Kind, files: &[PathBuf]) {
    let db = prepare(kind);
    let store = db.store.as_ref();
    let admin = logis_domain::Principal {
        user_id: 0,
        login: "bench".into(),
        role: logis_domain::Role::Admin,
        organisation_id: None,
        commune: None,
    };
    let actor = logis_conformance::actor();
    for name in PLAN_LANDLORDS {
        store
            .add_organisation(
                &actor,
                &logis_store::NewOrganisation {
                    kind: logis_domain::register::vocab::OrgKind::Landlord,
                    name: name.into(),
                    siren: None,
                    commune: None,
                },
            )
            .unwrap();
    }
    let t = Instant::now();
    let mut dwellings = 0;
    for (name, file) in PLAN_LANDLORDS.iter().zip(files) {
        let r = logis_app::plans::import_psp(
            store,
            &admin,
            &actor,
            logis_io::open_path(file).unwrap(),
            &logis_app::plans::PspOptions {
                landlord: (*name).into(),
                version: 2026,
                commit: true,
                source: "bench".into(),
            },
        )
        .unwrap();
        assert!(r.committed, "{:?}", r.problems.first());
        dwellings += r.dwellings;
    }
    report("import", dwellings, t.elapsed().as_secs_f64());
    let members: Vec<String> = PLAN_LANDLORDS.iter().map(|s| s.to_string()).collect();
    logis_app::plans::create_partnership(store, &admin, &actor, "Protocole", "dep:62", &members)
        .unwrap();
    for name in PLAN_LANDLORDS {
        logis_app::plans::share_plan(store, &admin, &actor, name, "Protocole", true).unwrap();
    }
    // A joint plan: 60 actions, each on a finding's residence.
    let report62 = logis_app::plans::cross_analysis(store).unwrap();
    let findings: Vec<(String, String, String, String)> = report62
        .long_rows
        .iter()
        .filter(|r| r[0].plain() != "strategie" && r[0].plain() != "coherence")
        .take(60)
        .map(|r| (r[0].plain(), r[1].plain(), r[2].plain(), r[3].plain()))
        .collect();
    for (section, landlord, residence, commune) in &findings {
        let f = logis_app::plans::actions::proposal(
            store, &admin, section, landlord, residence, commune,
        )
        .unwrap();
        logis_app::plans::actions::save_action(store, &admin, &actor, None, &f)
            .unwrap()
            .unwrap();
    }
    let landlord = store
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == PLAN_LANDLORDS[1])
        .unwrap()
        .id;
    let reader = logis_domain::Principal {
        role: logis_domain::Role::LandlordReader,
        organisation_id: Some(landlord),
        ..admin.clone()
    };
    if std::env::var("LOGIS_PROFIL").is_ok() {
        let (p50, _) = percentiles(|| {
            std::hint::black_box(logis_app::plans::current_plans(store).unwrap());
        });
        eprintln!("plans en vigueur : {p50:.1} ms");
        let (p50, _) = percentiles(|| {
            std::hint::black_box(logis_app::stock::sru_report(store, None, 25).ok());
        });
        eprintln!("SRU : {p50:.1} ms");
        let (p50, _) = percentiles(|| {
            std::hint::black_box(store.vacancies().unwrap());
        });
        eprintln!("vivier : {p50:.1} ms");
        let (p50, _) = percentiles(|| {
            std::hint::black_box(logis_app::plans::cross_analysis(store).unwrap());
        });
        eprintln!("analyse : {p50:.1} ms");
    }
    // Built whole each time (the first request after a write), then as the page serves it.
    let (p50, p99) = percentiles(|| {
        std::hint::black_box(logis_app::plans::cross_analysis_for(store, &admin, None).unwrap());
    });
    println!("build {p50:.1} {p99:.1}");
    let cache = logis_app::cache::StampCache::new(16);
    for (what, who) in [("page", &admin), ("page-member", &reader)] {
        let (p50, p99) = percentiles(|| {
            std::hint::black_box(
                logis_app::plans::cross_analysis_cached(&cache, store, who, None).unwrap(),
            );
        });
        println!("{what} {p50:.1} {p99:.1}");
    }
    let t = Instant::now();
    let sheets = logis_app::plans::actions::committee_sheets(store, &admin, None).unwrap();
    let refs: Vec<(&str, &logis_io::report::Report)> =
        sheets.iter().map(|(n, r)| (*n, r)).collect();
    let bytes = logis_io::report::write_xlsx_book(&refs).unwrap();
    std::hint::black_box(bytes);
    println!(
        "committee {:.3} {}",
        t.elapsed().as_secs_f64(),
        findings.len()
    );
    println!("peak {:.0}", peak_rss_mib());
}

pub(crate) fn run(n: u64, postgres: bool) {
    let files = generated(n);
    let backends: &[&str] = if postgres {
        &["sqlite", "postgres"]
    } else {
        &["sqlite"]
    };
    println!(
        "| moteur | import des trois PSP (s) | logements | analyse construite, p50 / p99 (ms) | page de l'EPCI p50 / p99 (ms) | page d'un bailleur membre p50 / p99 (ms) | classeur du comité (s) | mémoire de pointe (Mio) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut page = f64::NAN;
    for backend in backends {
        let mut args = vec!["phase-psp".to_string(), backend.to_string()];
        args.extend(files.iter().map(|f| f.to_str().unwrap().to_string()));
        let out = Command::new(std::env::current_exe().unwrap())
            .args(&args)
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
        let num = |v: &[String], i: usize| {
            v.get(i)
                .and_then(|x| x.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        let b = field(&text, "build ");
        let (im, p, m, c) = (
            field(&text, "import "),
            field(&text, "page "),
            field(&text, "page-member "),
            field(&text, "committee "),
        );
        if *backend == "sqlite" {
            page = num(&b, 0);
        }
        println!(
            "| logis, {backend} | {:.2} | {:.0} | {} / {} | {} / {} | {} / {} | {:.3} | {} |",
            num(&im, 1),
            num(&im, 0),
            b.first().cloned().unwrap_or_default(),
            b.get(1).cloned().unwrap_or_default(),
            p.first().cloned().unwrap_or_default(),
            p.get(1).cloned().unwrap_or_default(),
            m.first().cloned().unwrap_or_default(),
            m.get(1).cloned().unwrap_or_default(),
            num(&c, 0),
            field(&text, "peak ").first().cloned().unwrap_or_default()
        );
    }
    let python = std::env::var("LOGIS_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench-duckdb-plans.py");
    match Command::new(python).arg(script).args(&files).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            if let [load, analysis, rows, peak] = &field(&text, "duckdb ")[..] {
                let (load, analysis): (f64, f64) = (
                    load.parse().unwrap_or(f64::NAN),
                    analysis.parse().unwrap_or(f64::NAN),
                );
                println!(
                    "| DuckDB : chargement des trois fichiers ({load:.2} s), puis sommes, lacunes et chevauchements ({:.1} ms) | {load:.2} | | {:.1} | | | | {peak} |",
                    analysis * 1000.0,
                    analysis * 1000.0
                );
                println!();
                println!(
                    "ratio analyse croisée construite par logis (SQLite, p50, tout compris : lecture des plans en base) / DuckDB (requêtes sur ses tables chargées) : {:.2} ({rows} résidences)",
                    page / (analysis * 1000.0)
                );
            }
        }
        Ok(out) => eprintln!("duckdb : {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => eprintln!("duckdb : {e}"),
    }
}
