//! `logis-bench foncier FILE`: the land bank and grouped tenders on the register of FILE, on
//! both backends: import of 10,000 sites (then again, nothing changes), import of grouped
//! tenders covering one operation in ten, and the cost report (the SQL aggregate of every line,
//! pooled or not, and its layout), beside DuckDB running the same aggregate on the same file.

use super::*;

const SITES: u64 = 10_000;

/// 10,000 sites in the CUD's communes: unique parcels, every status, coordinates.
fn sites_csv() -> String {
    let communes = [
        "59183", "59271", "59273", "59155", "59588", "59359", "59094", "59131", "59340", "59107",
    ];
    let statuses = [
        "identifié",
        "proposé",
        "intérêts exprimés",
        "attribué",
        "abandonné",
    ];
    let mut rng = Rng(16);
    let mut out = String::from(
        "foncier;commune;parcelles;surface_m2;proprietaire;capacite_logements;part_sociale;statut;bailleur;motif;x;y\n",
    );
    for n in 0..SITES {
        let commune = communes[(n % communes.len() as u64) as usize];
        let section = format!(
            "{}{}",
            (b'A' + (n / 9_000 % 26) as u8) as char,
            (b'A' + (n / 346 % 26) as u8) as char
        );
        let status = statuses[below(&mut rng, 5) as usize];
        let (landlord, reason) = match status {
            "attribué" => (LANDLORDS[below(&mut rng, 3) as usize], "comité foncier"),
            "abandonné" => ("", "propriétaire retiré"),
            _ => ("", ""),
        };
        out.push_str(&format!(
            "B-F-{n:05};{commune};{section} {};{};EPCI;{};40;{status};{landlord};{reason};2,{:04};51,0{:03}\n",
            n % 9_000 + 1,
            1_000 + below(&mut rng, 20_000),
            10 + below(&mut rng, 200),
            2_000 + below(&mut rng, 4_000),
            below(&mut rng, 600),
        ));
    }
    out
}

/// Grouped tenders over one operation in ten of `file`, thirty operations a tender.
fn tenders_csv(file: &Path) -> String {
    let text = std::fs::read_to_string(file).expect("fichier");
    let mut seen = std::collections::HashSet::new();
    let mut out = String::from(
        "appel;coordinateur;nature_travaux;lot;bailleur;operation;estimation;montant_attribue;attributaire_siret\n",
    );
    let mut n = 0u64;
    for line in text.lines().skip(1) {
        let mut cells = line.split(';');
        let (Some(reference), Some(landlord)) = (cells.next(), cells.next()) else {
            continue;
        };
        if !seen.insert(reference.to_string()) {
            continue;
        }
        n += 1;
        if !n.is_multiple_of(10) {
            continue;
        }
        let tender = n / 300;
        out.push_str(&format!(
            "AOG-B-{tender};{};construction neuve;Lot 1;{landlord};{reference};1 000 000;910 000;73282932000074\n",
            LANDLORDS[(tender % 3) as usize],
        ));
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// One backend, in this process: prints "what n seconds" lines.
pub(crate) fn phase(kind: Kind, file: &Path) {
    let db = prepare(kind);
    let (n, _) = import(&db, file);
    let s = db.store.as_ref();
    let actor = logis_conformance::actor();
    let csv = sites_csv();
    for what in ["fonciers-import", "fonciers-reimport"] {
        let t = Instant::now();
        let src = logis_io::open_bytes(csv.clone().into_bytes()).unwrap();
        let r = logis_app::land::import_sites(s, &actor, src, true).unwrap();
        assert!(r.committed, "{:?}", r.problems.first());
        report(what, SITES, t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    let admin = logis_domain::Principal {
        user_id: 0,
        login: "bench".into(),
        role: logis_domain::Role::Admin,
        organisation_id: None,
        commune: None,
    };
    let r = logis_app::land::report(s, &admin, None).unwrap();
    report(
        "rapport-foncier",
        r.long_rows.len() as u64,
        t.elapsed().as_secs_f64(),
    );
    let tenders = tenders_csv(file);
    let t = Instant::now();
    let src = logis_io::open_bytes(tenders.into_bytes()).unwrap();
    let r = logis_app::land::tenders::import_tenders(s, &actor, src, true).unwrap();
    assert!(r.committed, "{:?}", r.problems.first());
    report("appels-import", r.rows, t.elapsed().as_secs_f64());
    let mut runs = Vec::new();
    let mut rows = 0;
    for _ in 0..5 {
        let t = Instant::now();
        rows = s.cost_lines(None).unwrap().len() as u64;
        runs.push(t.elapsed().as_secs_f64());
    }
    report("couts-agregat", rows, median(runs));
    let t = Instant::now();
    let r = logis_app::land::tenders::cost_report(s, &admin).unwrap();
    report(
        "couts-rapport",
        r.long_rows.len() as u64,
        t.elapsed().as_secs_f64(),
    );
    println!("lines {n}");
}

/// Both backends, then DuckDB on the same file (`LOGIS_BENCH_PYTHON`: a Python with `duckdb`).
pub(crate) fn run(file: &Path) {
    println!("| moteur | mesure | lignes | secondes |");
    println!("|---|---|---:|---:|");
    for backend in ["sqlite", "postgres"] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["phase-foncier", backend, file.to_str().unwrap()])
            .output()
            .expect("phase");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for l in String::from_utf8_lossy(&out.stdout).lines() {
            let f: Vec<&str> = l.split(' ').collect();
            if let [what, n, s] = f[..] {
                println!("| {backend} | {what} | {n} | {s} |");
            }
        }
    }
    let python = std::env::var("LOGIS_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench-duckdb-costs.py");
    let out = Command::new(python).arg(script).arg(file).output();
    match out {
        Ok(o) if o.status.success() => {
            for l in String::from_utf8_lossy(&o.stdout).lines() {
                let f: Vec<&str> = l.split(' ').collect();
                if let [what, n, s] = f[..] {
                    println!("| duckdb | {what} | {n} | {s} |");
                }
            }
        }
        Ok(o) => eprintln!("duckdb : {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => eprintln!("duckdb : {e}"),
    }
}
