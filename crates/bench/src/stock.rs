//! `logis-bench parc [ROWS] [--postgres]` (issue 20): a national-scale RPLS file in the 2025
//! open layout (ROWS dwellings, default 5,400,000; communes drawn in proportion to their
//! population; generated once under bench-data/) imported as one vintage into a fresh database,
//! each backend in its own process (peak memory per phase), then the `parc` report of one
//! commune and of one EPCI as the page asks for them (p50 and p99 of 100 drawn at random) and
//! of every commune; beside it, in the same run, DuckDB loading the same
//! file into its own database and grouping it by commune (`scripts/bench-duckdb-rpls.py`).

use super::*;

const HEADER: &str = "REG_CODE;REG_LIBELLE;DEP_CODE;DEP_LIBELLE;EPCI_CODE;EPCI_LIBELLE;DEPCOM;CODEPOSTAL;LIBCOM;NUMVOIE;INDREP;TYPVOIE;NOMVOIE;ETAGE;COMPLGEO;LIEUDIT;QPV_CODE;QPV_LIBELLE;DROIT_CODE;DROIT_LIBELLE;TYPECONST_CODE;TYPECONST_LIBELLE;NBPIECE;SURFHAB;CONSTRUCT;LOCAT;PATRIMOINE;ORIGINE;FINAN_CODE;FINAN_LIBELLE;FINANAUTRE;CONV;NUMCONV;DATCONV;NEWLOGT_CODE;NEWLOGT_LIBELLE;CUS;DPEDATE;DPEENERGIE;DPESERRE;SRU_EXPIR;SRU_ALINEA;CODSEGPATRIM;LIBSEGPATRIM;PMR_CODE;PMR_LIBELLE;PLG_VOIE;EPSG;X;Y;PLG_QP24;PLG_QP15;PLG_IRIS2024_CODE;PLG_IRIS2024_LIBELLE;PLG_ZUS;PLG_QVA;QUALITE_VOIE;QUALITE_XY;QUALITE_QP;QUALITE_IRIS;QUALITE_ZUS;QUALITE_QVA;QUALITE_GEOLOC;QUALITE_ADRESSE;QUALITE_COMMUNE;QUALITE_ETAGE;QUALITE_DPE;COMAQP;COMAZUS;UU2020;AAV2020;ZE2020;IDENT_INTERNE";

/// The generated file of `rows` dwellings (made once).
pub(crate) fn generated(rows: u64) -> PathBuf {
    let dir = PathBuf::from("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("rpls-2025-{rows}.csv"));
    if !file.exists() {
        let t = Instant::now();
        let tmp = file.with_extension("tmp");
        generate(&tmp, rows);
        std::fs::rename(&tmp, &file).unwrap();
        eprintln!("fichier RPLS généré en {:.1} s", t.elapsed().as_secs_f64());
    }
    file
}

fn generate(path: &Path, rows: u64) {
    let data = logis_io::reference::embedded().expect("référentiel");
    let weights: Vec<(usize, u64)> = data
        .communes
        .iter()
        .enumerate()
        .map(|(i, c)| (i, u64::from(c.population.unwrap_or(0)).max(1)))
        .collect();
    let total: u64 = weights.iter().map(|w| w.1).sum();
    // Cumulative weights, for a binary search per row.
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut acc = 0;
    for (_, w) in &weights {
        acc += w;
        cumulative.push(acc);
    }
    let region: std::collections::HashMap<&str, (&str, &str)> = data
        .departments
        .iter()
        .map(|(d, name, r)| (d.as_str(), (r.as_str(), name.as_str())))
        .collect();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    writeln!(out, "{HEADER}").unwrap();
    let mut rng = Rng(5_400_000);
    let letters = ["A", "B", "C", "D", "E", "F", "G", ""];
    for i in 0..rows {
        let x = rng.next_u64() % total;
        let c = &data.communes[cumulative.partition_point(|&v| v <= x)];
        let (reg, dep_name) = region
            .get(c.department.as_str())
            .copied()
            .unwrap_or(("", ""));
        let epci = c.epci.as_ref().map(|s| s.as_str()).unwrap_or("");
        let qpv = if below(&mut rng, 100) < 12 {
            format!("QN0{}{:03}M", &c.department, below(&mut rng, 50))
        } else {
            String::new()
        };
        let built = 1950 + below(&mut rng, 74);
        let rooms = 1 + below(&mut rng, 5);
        let surface = 22 + rooms * 16 + below(&mut rng, 15);
        let finan = ["13", "13", "10", "14", "52", "12"][below(&mut rng, 6) as usize];
        let e = letters[below(&mut rng, 8) as usize];
        let g = letters[below(&mut rng, 8) as usize];
        writeln!(
            out,
            "{reg};Région {reg};{dep};{dep_name};{epci};EPCI {epci};{code};{cp};{name};{num};;RUE;DES LILAS;{etage};;;{qpv};{qpv_l};1;Propriétaire;{tc};{tcl};{rooms};{surface},{dec};{built};{locat};{locat};1;{finan};Financement {finan};;1;{i:08};01/01/{built};2;non;;{dpedate};{e};{g};;;S{seg};Segment {seg};2;non;{num} RUE DES LILAS;2154;{x};{y};{qpv};;{code}0000;IRIS;;;1;1;1;1;1;1;1;1;1;1;1;0;0;{uu};{aav};{ze};{i}",
            dep = c.department,
            code = c.code.as_str(),
            cp = c.code.as_str(),
            name = c.name,
            num = 1 + below(&mut rng, 120),
            etage = below(&mut rng, 8),
            qpv_l = if qpv.is_empty() { "" } else { "Quartier" },
            tc = if rooms > 3 { "I" } else { "C" },
            tcl = if rooms > 3 { "Individuel" } else { "Collectif" },
            dec = below(&mut rng, 10),
            locat = built + 1,
            dpedate = if e.is_empty() { "01/1900".to_string() } else { format!("{:02}/2022", 1 + below(&mut rng, 12)) },
            seg = below(&mut rng, 4),
            x = 100_000 + below(&mut rng, 1_000_000),
            y = 6_100_000 + below(&mut rng, 1_000_000),
            uu = below(&mut rng, 99_999),
            aav = below(&mut rng, 999),
            ze = below(&mut rng, 9_999),
        )
        .unwrap();
    }
    out.flush().unwrap();
}

/// In this process: a fresh database, the import, the report's times; prints "import N
/// SECONDS", "commune P50 P99", "epci P50 P99", "peak MIB".
pub(crate) fn phase(kind: Kind, file: &Path) {
    let db = TestDb::fresh(kind);
    logis_app::reference::init(db.store.as_ref()).expect("init");
    let admin = logis_domain::Principal {
        user_id: 0,
        login: "bench".into(),
        role: logis_domain::Role::Admin,
        organisation_id: None,
        commune: None,
    };
    let t = Instant::now();
    let r = logis_app::stock::import_rpls(
        db.store.as_ref(),
        &admin,
        &logis_conformance::actor(),
        logis_io::open_path(file).unwrap(),
        &logis_app::stock::RplsOptions {
            vintage: 2025,
            commit: true,
            keep_valid: false,
            source: "bench".into(),
        },
        &mut |_, _, _| {},
        &mut |_| {},
    )
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert!(r.committed, "{}", r.render_fr());
    report("import", r.dwellings, secs);
    // One area as the page asks for it: 100 communes and 100 EPCIs drawn at random, each read
    // by key (p50 and p99); then every commune of France (the download).
    let geo = db.store.geography().unwrap();
    let mut rng = Rng(99);
    use logis_app::stock::{Scale, area_communes, parc_report_within};
    for scale in [Scale::Commune, Scale::Epci] {
        let mut times: Vec<f64> = (0..100)
            .map(|_| {
                let code = match scale {
                    Scale::Commune => {
                        let n = geo.communes().len() as u64;
                        geo.communes()[below(&mut rng, n) as usize]
                            .code
                            .as_str()
                            .to_string()
                    }
                    _ => {
                        let n = geo.epcis().len() as u64;
                        geo.epcis()[below(&mut rng, n) as usize]
                            .siren
                            .as_str()
                            .to_string()
                    }
                };
                let t = Instant::now();
                let communes = area_communes(db.store.as_ref(), scale, &code).unwrap();
                let p =
                    parc_report_within(db.store.as_ref(), None, scale, Some(&communes)).unwrap();
                std::hint::black_box(p);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!("{} {:.1} {:.1}", scale.code(), times[50], times[98]);
    }
    let t = Instant::now();
    let p = logis_app::stock::parc_report(db.store.as_ref(), None, Scale::Commune).unwrap();
    println!(
        "france {:.1} {}",
        t.elapsed().as_secs_f64() * 1000.0,
        p.rows.len()
    );
    println!("peak {:.0}", peak_rss_mib());
}

fn field(text: &str, key: &str) -> Option<Vec<String>> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|rest| rest.split_whitespace().map(str::to_string).collect())
}

pub(crate) fn run(rows: u64, postgres: bool) {
    let file = generated(rows);
    let backends: &[&str] = if postgres {
        &["sqlite", "postgres"]
    } else {
        &["sqlite"]
    };
    println!(
        "| moteur | import (s) | lignes par seconde | une commune p50 / p99 (ms) | un EPCI p50 / p99 (ms) | toutes les communes (ms) | mémoire de pointe (Mio) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut sqlite = f64::NAN;
    for backend in backends {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["phase-parc", backend, file.to_str().unwrap()])
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
        let f = |k: &str| field(&text, k).unwrap_or_default();
        let imp = f("import ");
        let (n, s): (f64, f64) = (imp[0].parse().unwrap(), imp[1].parse().unwrap());
        if *backend == "sqlite" {
            sqlite = s;
        }
        let c = f("commune ");
        let e = f("epci ");
        let fr = f("france ");
        println!(
            "| logis, {backend} | {s:.2} | {:.0} | {} / {} | {} / {} | {} | {} |",
            n / s,
            c[0],
            c[1],
            e[0],
            e[1],
            fr[0],
            f("peak ").first().cloned().unwrap_or_default()
        );
    }
    let python = std::env::var("LOGIS_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench-duckdb-rpls.py");
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
                    "| DuckDB 1.1.3 : chargement dans sa base puis regroupement par commune ({group:.2} s) | {:.2} | {:.0} | | | | {peak} |",
                    load + group,
                    rows / (load + group)
                );
                println!();
                println!(
                    "ratio logis (SQLite) / DuckDB (chargement + regroupement) : {:.2}",
                    sqlite / (load + group)
                );
            }
        }
        Ok(o) => eprintln!("duckdb : {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => eprintln!("duckdb : {e}"),
    }
}
