//! `logis-bench peuplement [LEASES] [HOUSEHOLDS] [--postgres]` (issue 21): a territory's
//! attributions of ten years (LEASES leases, default 200,000) and an occupancy survey of the Nord
//! and Pas-de-Calais (HOUSEHOLDS rows, default 440,000), generated once under bench-data/,
//! imported into a fresh database (each backend in its own process: peak memory per phase),
//! then the observatory's pages as they are built (occupancy of every landlord, one landlord's
//! own, the attribution targets: p50 and p99 of 30 builds); beside it, in the same run, DuckDB
//! loading the same two files into its own database and grouping them by commune
//! (`scripts/bench-duckdb-settlement.py`).

use super::*;

/// Communes of the Nord and Pas-de-Calais, with cumulative population weights.
fn communes() -> (Vec<logis_domain::Commune>, Vec<u64>) {
    let data = logis_io::reference::embedded().expect("référentiel");
    let communes: Vec<_> = data
        .communes
        .into_iter()
        .filter(|c| c.department == "59" || c.department == "62")
        .collect();
    let mut acc = 0;
    let cumulative = communes
        .iter()
        .map(|c| {
            acc += u64::from(c.population.unwrap_or(0)).max(1);
            acc
        })
        .collect();
    (communes, cumulative)
}

/// A commune drawn by population, with its index.
fn pick<'a>(
    rng: &mut Rng,
    communes: &'a [logis_domain::Commune],
    cumulative: &[u64],
) -> (usize, &'a logis_domain::Commune) {
    let total = cumulative.last().copied().unwrap_or(1);
    let x = below(rng, total);
    let i = cumulative
        .partition_point(|&v| v <= x)
        .min(communes.len() - 1);
    (i, &communes[i])
}

/// A QPV of the commune (two in each commune of more than 15,000 inhabitants), `share` percent
/// of the time.
fn qpv(rng: &mut Rng, i: usize, c: &logis_domain::Commune, share: u64) -> Option<String> {
    (c.population.unwrap_or(0) > 15_000 && below(rng, 100) < share).then(|| {
        format!(
            "QN0{}{:03}M",
            c.department,
            (i * 2) % 1000 + below(rng, 2) as usize
        )
    })
}

fn yes(rng: &mut Rng, percent: u64) -> &'static str {
    if below(rng, 100) < percent {
        "oui"
    } else {
        "non"
    }
}

fn generate_leases(path: &Path, n: u64) {
    let (communes, cumulative) = communes();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    writeln!(out, "bail;date_bail;bailleur;commune;qpv;reservataire;ressources_uc;quartile;relogement_renouvellement;dalo;prioritaire;personnes").unwrap();
    let holders = [
        "etat",
        "etat_fonctionnaires",
        "action_logement",
        "collectivite",
        "bailleur",
        "autre",
    ];
    let mut rng = Rng(200_000);
    for i in 0..n {
        let (ci, c) = pick(&mut rng, &communes, &cumulative);
        let year = 2016 + below(&mut rng, 10);
        let qpv = qpv(&mut rng, ci, c, 40).unwrap_or_else(|| "non".into());
        let (resources, quartile) = if below(&mut rng, 100) < 80 {
            (
                format!("{}", 1_500 + below(&mut rng, 28_000)),
                String::new(),
            )
        } else {
            (String::new(), format!("{}", 1 + below(&mut rng, 4)))
        };
        writeln!(
            out,
            "B{i:07};{:02}/{:02}/{year};{};{};{qpv};{};{resources};{quartile};{};{};{};{}",
            1 + below(&mut rng, 28),
            1 + below(&mut rng, 12),
            LANDLORDS[below(&mut rng, 3) as usize],
            c.code.as_str(),
            holders[below(&mut rng, 6) as usize],
            yes(&mut rng, 3),
            yes(&mut rng, 10),
            yes(&mut rng, 12),
            1 + below(&mut rng, 6),
        )
        .unwrap();
    }
    out.flush().unwrap();
}

fn generate_occupancy(path: &Path, n: u64) {
    let (communes, cumulative) = communes();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    writeln!(out, "bailleur;commune;qpv;quartier;logement;personnes;enfants;composition;age_titulaire;ressources_pct_plafond;aide_logement;emploi;emmenage_recent").unwrap();
    let compositions = [
        "personne_seule",
        "couple",
        "couple_enfants",
        "monoparentale",
        "autre",
    ];
    let mut rng = Rng(440_000);
    for i in 0..n {
        let (ci, c) = pick(&mut rng, &communes, &cumulative);
        let (qpv, quartier) = match (qpv(&mut rng, ci, c, 35), below(&mut rng, 100)) {
            (Some(code), _) => (code, String::new()),
            (None, 0..40) if c.population.unwrap_or(0) > 20_000 => {
                ("non".into(), format!("Quartier {}", below(&mut rng, 5)))
            }
            _ => ("non".into(), String::new()),
        };
        let composition = compositions[below(&mut rng, 5) as usize];
        let (adults, children) = match composition {
            "personne_seule" => (1, 0),
            "couple" => (2, 0),
            "monoparentale" => (1, 1 + below(&mut rng, 4)),
            "couple_enfants" => (2, 1 + below(&mut rng, 4)),
            _ => (2 + below(&mut rng, 2), below(&mut rng, 2)),
        };
        writeln!(
            out,
            "{};{};{qpv};{quartier};{:010};{};{children};{composition};{};{};{};{};{}",
            LANDLORDS[below(&mut rng, 3) as usize],
            c.code.as_str(),
            i,
            adults + children,
            18 + below(&mut rng, 75),
            below(&mut rng, 150),
            yes(&mut rng, 45),
            yes(&mut rng, 55),
            yes(&mut rng, 10),
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// The two generated files (made once).
pub(crate) fn generated(leases: u64, households: u64) -> (PathBuf, PathBuf) {
    let dir = PathBuf::from("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let l = dir.join(format!("attributions-v2-{leases}.csv"));
    let o = dir.join(format!("occupation-v2-{households}.csv"));
    for (file, make) in [
        (
            &l,
            &(|p: &Path| generate_leases(p, leases)) as &dyn Fn(&Path),
        ),
        (&o, &|p: &Path| generate_occupancy(p, households)),
    ] {
        if !file.exists() {
            let tmp = file.with_extension("tmp");
            make(&tmp);
            std::fs::rename(&tmp, file).unwrap();
        }
    }
    (l, o)
}

/// In this process: a fresh database, both imports, the pages' times; prints "leases N SECONDS",
/// "occupancy N SECONDS", "page-occupancy P50 P99", "page-own P50 P99", "page-targets P50 P99",
/// "peak MIB".
pub(crate) fn phase(kind: Kind, leases: &Path, occupancy: &Path) {
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
    for year in 2016..=2025 {
        logis_app::settlement::set_threshold(store, &admin, &actor, year, "9 800", None).unwrap();
    }
    if std::env::var("LOGIS_PROFIL").is_ok() {
        let t = Instant::now();
        let r = logis_app::settlement::import_attributions(
            store,
            &admin,
            &actor,
            logis_io::open_path(leases).unwrap(),
            false,
        )
        .unwrap();
        assert!(r.problems.is_empty());
        eprintln!("baux, lecture seule : {:.2} s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let r = logis_app::settlement::occupancy::import_occupancy(
            store,
            &admin,
            &actor,
            logis_io::open_path(occupancy).unwrap(),
            2025,
            false,
        )
        .unwrap();
        assert!(r.problems.is_empty());
        eprintln!(
            "occupation, lecture seule : {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    let r = logis_app::settlement::import_attributions(
        store,
        &admin,
        &actor,
        logis_io::open_path(leases).unwrap(),
        true,
    )
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(r.committed, "{:?}", r.problems.first());
    report("leases", r.created, secs);
    let t = Instant::now();
    let r = logis_app::settlement::occupancy::import_occupancy(
        store,
        &admin,
        &actor,
        logis_io::open_path(occupancy).unwrap(),
        2025,
        true,
    )
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(r.committed, "{:?}", r.problems.first());
    report("occupancy", r.households, secs);
    let landlord = store
        .organisations()
        .unwrap()
        .into_iter()
        .find(|o| o.name == LANDLORDS[1])
        .unwrap()
        .id;
    for (what, own) in [("page-occupancy", None), ("page-own", Some(landlord))] {
        let (p50, p99) = percentiles(|| {
            let o = logis_app::settlement::occupancy::occupancy(store, None, own, false, false)
                .unwrap()
                .unwrap();
            std::hint::black_box(o);
        });
        println!("{what} {p50:.1} {p99:.1}");
    }
    let (p50, p99) = percentiles(|| {
        std::hint::black_box(logis_app::settlement::attributions_report(store).unwrap());
    });
    println!("page-targets {p50:.1} {p99:.1}");
    println!("peak {:.0}", peak_rss_mib());
}

pub(crate) fn run(leases: u64, households: u64, postgres: bool) {
    let (l, o) = generated(leases, households);
    let backends: &[&str] = if postgres {
        &["sqlite", "postgres"]
    } else {
        &["sqlite"]
    };
    println!(
        "| moteur | baux : import (s) | baux par seconde | occupation : import (s) | ménages par seconde | page occupation p50 / p99 (ms) | données d'un bailleur p50 / p99 (ms) | objectifs d'attribution p50 / p99 (ms) | mémoire de pointe (Mio) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut sqlite = f64::NAN;
    for backend in backends {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "phase-peuplement",
                backend,
                l.to_str().unwrap(),
                o.to_str().unwrap(),
            ])
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
        let (le, oc) = (field(&text, "leases "), field(&text, "occupancy "));
        let (p, w, t) = (
            field(&text, "page-occupancy "),
            field(&text, "page-own "),
            field(&text, "page-targets "),
        );
        if *backend == "sqlite" {
            sqlite = num(&le, 1) + num(&oc, 1);
        }
        println!(
            "| logis, {backend} | {:.2} | {:.0} | {:.2} | {:.0} | {} / {} | {} / {} | {} / {} | {} |",
            num(&le, 1),
            num(&le, 0) / num(&le, 1),
            num(&oc, 1),
            num(&oc, 0) / num(&oc, 1),
            p.first().cloned().unwrap_or_default(),
            p.get(1).cloned().unwrap_or_default(),
            w.first().cloned().unwrap_or_default(),
            w.get(1).cloned().unwrap_or_default(),
            t.first().cloned().unwrap_or_default(),
            t.get(1).cloned().unwrap_or_default(),
            field(&text, "peak ").first().cloned().unwrap_or_default()
        );
    }
    let python = std::env::var("LOGIS_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench-duckdb-settlement.py");
    match Command::new(python).arg(script).arg(&l).arg(&o).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            if let [ll, lo, group, rows, peak] = &field(&text, "duckdb ")[..] {
                let (ll, lo, group): (f64, f64, f64) = (
                    ll.parse().unwrap_or(f64::NAN),
                    lo.parse().unwrap_or(f64::NAN),
                    group.parse().unwrap_or(f64::NAN),
                );
                println!(
                    "| DuckDB : chargement des deux fichiers dans sa base ({ll:.2} s + {lo:.2} s), puis regroupement par commune ({group:.2} s) | {ll:.2} | {:.0} | {lo:.2} | {:.0} | | | | {peak} |",
                    leases as f64 / ll,
                    households as f64 / lo,
                );
                println!();
                println!(
                    "ratio logis (SQLite, les deux imports) / DuckDB (chargements + regroupement) : {:.2} ({rows} lignes)",
                    sqlite / (ll + lo + group)
                );
            }
        }
        Ok(out) => eprintln!("duckdb : {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => eprintln!("duckdb : {e}"),
    }
}
