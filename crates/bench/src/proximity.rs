//! `logis-bench proximite [N]`: proximity management at the scale issue 17 names — N reports of
//! dysfunctions (default 100,000) over five years and 30 sites, routed on import; assignments
//! older than two months closed or refused as partners do — then, on SQLite (and PostgreSQL
//! with `--postgres`), the pages' queries timed over repeated runs: a partner's queue, a site's
//! list (latest, and filtered by theme, state and a year), the EPCI's list, the committees'
//! report for the agglomeration and for a site. Prints p50 and p99 in milliseconds.

use super::*;
use chrono::NaiveDate;
use logis_domain::proximity::{AssignmentStatus, Theme};
use logis_store::ProximityRecords;
use logis_store::proximity::ReportFilter;

const SITES: u64 = 30;

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(0.0)
}

/// Time `f` `runs` times; (p50, p99) in milliseconds.
fn timed(runs: usize, mut f: impl FnMut() -> usize) -> (f64, f64, usize) {
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for _ in 0..runs {
        let t = Instant::now();
        rows = f();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    (
        percentile(times.clone(), 0.5),
        percentile(times, 0.99),
        rows,
    )
}

/// The partners: the EPCI, two communes, the three landlords, two conciergeries.
const PARTNERS: [(logis_domain::OrgKind, &str); 5] = [
    (logis_domain::OrgKind::Epci, "CUD"),
    (logis_domain::OrgKind::Commune, "Ville de Dunkerque"),
    (logis_domain::OrgKind::Commune, "Ville de Grande-Synthe"),
    (
        logis_domain::OrgKind::Conciergerie,
        "Conciergerie de quartier",
    ),
    (
        logis_domain::OrgKind::Conciergerie,
        "Conciergerie d'immeuble",
    ),
];

/// One backend, in this process.
pub(crate) fn phase(kind: Kind, reports: u64) {
    let db = prepare(kind);
    let s = db.store.as_ref();
    let actor = logis_conformance::actor();
    for (k, name) in PARTNERS {
        s.add_organisation(
            &actor,
            &logis_store::NewOrganisation {
                kind: k,
                name: name.into(),
                siren: None,
                commune: None,
            },
        )
        .expect("partenaire");
    }
    // 30 sites, each with its table (seed 003's split).
    let mut table = String::from("site;commune;theme;partenaire\n");
    for n in 0..SITES {
        let (commune, city) = if n % 2 == 0 {
            ("Dunkerque", "Ville de Dunkerque")
        } else {
            ("Grande-Synthe", "Ville de Grande-Synthe")
        };
        let landlord = LANDLORDS[(n % 3) as usize];
        for theme in Theme::ALL {
            let holder = match theme.default_holder() {
                logis_domain::OrgKind::Epci => "CUD",
                logis_domain::OrgKind::Commune => city,
                _ => landlord,
            };
            table.push_str(&format!(
                "Site {n:02};{commune};{};{holder}\n",
                theme.code()
            ));
        }
    }
    let src = logis_io::open_bytes(table.into_bytes()).unwrap();
    let r = logis_app::proximity::import_competences(s, &actor, src, true).unwrap();
    assert!(r.committed, "{:?}", r.problems.first());
    // Reports over five years up to today, by every partner.
    let today = chrono::Local::now().date_naive();
    let start = today - chrono::Days::new(5 * 365);
    let mut rng = Rng(17);
    let mut csv = String::from("signalement;site;theme;date;description;organisation;adresse\n");
    for n in 0..reports {
        let theme = Theme::ALL[below(&mut rng, Theme::ALL.len() as u64) as usize];
        let date = start + chrono::Days::new(below(&mut rng, 5 * 365 + 1));
        let who = if n % 3 == 0 {
            LANDLORDS[below(&mut rng, 3) as usize]
        } else {
            PARTNERS[below(&mut rng, PARTNERS.len() as u64) as usize].1
        };
        csv.push_str(&format!(
            "B-{n:06};Site {:02};{};{};Dysfonctionnement n° {n};{who};{} rue du Port\n",
            below(&mut rng, SITES),
            theme.code(),
            date.format("%d/%m/%Y"),
            below(&mut rng, 400),
        ));
    }
    let t = Instant::now();
    let src = logis_io::open_bytes(csv.into_bytes()).unwrap();
    let r = logis_app::proximity::import_reports(s, &actor, src, true, None).unwrap();
    assert!(r.committed, "{:?}", r.problems.first());
    println!("import {reports} {:.3}", t.elapsed().as_secs_f64());
    // Partners close (or refuse) what is older than two months, in one transaction.
    let t = Instant::now();
    let mut rng = Rng(29);
    logis_store::tx::write(s, |tx| {
        let rows = tx.query(
            "SELECT id, opened_on FROM proximity_assignments ORDER BY id",
            &[],
        )?;
        for row in rows {
            let (id, opened): (i64, NaiveDate) = (row.int(0)?, row.date(1)?);
            let age = (today - opened).num_days();
            if age < 60 && !rng.next_u64().is_multiple_of(3) {
                continue;
            }
            let status = if rng.next_u64().is_multiple_of(20) {
                AssignmentStatus::Refused
            } else {
                AssignmentStatus::Closed
            };
            let days = 1 + below(&mut rng, 30.min(age.max(1) as u64));
            let ended = opened + chrono::Days::new(days);
            tx.execute(
                "UPDATE proximity_assignments SET status = $1, ended_on = $2, reason = $3 WHERE id = $4",
                &[
                    logis_store::tx::Value::text(status.code()),
                    logis_store::tx::Value::date(ended),
                    logis_store::tx::Value::text("traité"),
                    logis_store::tx::Value::int(id),
                ],
            )?;
        }
        Ok(())
    })
    .unwrap();
    println!("cloture {reports} {:.3}", t.elapsed().as_secs_f64());
    let orgs = s.organisations().unwrap();
    let id = |n: &str| orgs.iter().find(|o| o.name == n).unwrap().id;
    let sites = s.proximity_sites().unwrap();
    let site = sites[0].id;
    let cud = id("CUD");
    let runs = 200;
    let year_ago = today - chrono::Days::new(365);
    let mut out = Vec::new();
    let open = s.open_count(cud).unwrap();
    out.push((
        format!("file « à traiter » de la CUD ({open} ouverts)"),
        timed(runs, || {
            s.queue_since(cud, today - chrono::Days::new(30))
                .unwrap()
                .len()
        }),
    ));
    out.push((
        "en-tête : nombre « à traiter »".to_string(),
        timed(runs, || s.open_count(cud).unwrap() as usize),
    ));
    let list = |f: ReportFilter| move || s.reports(&f).unwrap().len();
    out.push((
        "liste d'un site (200 plus récents)".into(),
        timed(
            runs,
            list(ReportFilter {
                site: Some(site),
                limit: 200,
                ..Default::default()
            }),
        ),
    ));
    out.push((
        "liste d'un site filtrée (thème, clos, un an)".into(),
        timed(
            runs,
            list(ReportFilter {
                site: Some(site),
                theme: Some(Theme::Waste),
                state: "clos".into(),
                from: Some(year_ago),
                to: Some(today),
                today: Some(today),
                limit: 200,
                ..Default::default()
            }),
        ),
    ));
    out.push((
        "liste d'un site filtrée (en retard)".into(),
        timed(
            runs,
            list(ReportFilter {
                site: Some(site),
                state: "en_retard".into(),
                today: Some(today),
                limit: 200,
                ..Default::default()
            }),
        ),
    ));
    out.push((
        "liste d'un bailleur (les siens, 200 plus récents)".into(),
        timed(
            runs,
            list(ReportFilter {
                seen_by: Some(id("Vilogia")),
                limit: 200,
                ..Default::default()
            }),
        ),
    ));
    out.push((
        "liste de l'EPCI (tous, 200 plus récents)".into(),
        timed(
            runs,
            list(ReportFilter {
                limit: 200,
                ..Default::default()
            }),
        ),
    ));
    out.push((
        "rapport des comités, agglomération, 12 mois".into(),
        timed(runs / 4, || {
            logis_app::proximity::gusp_report_for(s, None, year_ago, today, today)
                .unwrap()
                .long_rows
                .len()
        }),
    ));
    out.push((
        "rapport du comité d'un site, 12 mois".into(),
        timed(runs / 4, || {
            logis_app::proximity::gusp_report_for(s, Some(site), year_ago, today, today)
                .unwrap()
                .long_rows
                .len()
        }),
    ));
    out.push((
        "faits des comités, agglomération, 12 mois (lecture seule)".into(),
        timed(runs / 4, || {
            s.site_facts(year_ago, today, None).unwrap().len()
        }),
    ));
    out.push((
        "lieux signalés 3 fois ou plus, agglomération, 12 mois".into(),
        timed(runs / 4, || {
            s.repeated_places(year_ago, today, None, 3, 20).unwrap().1 as usize
        }),
    ));
    for (what, (p50, p99, rows)) in out {
        println!("rep {what}|{rows}|{p50:.2}|{p99:.2}");
    }
}

/// SQLite (and PostgreSQL with `--postgres`), each in its own process.
pub(crate) fn run(reports: u64, postgres: bool) {
    println!("| base | mesure | lignes rendues | p50 (ms) | p99 (ms) |");
    println!("|---|---|---:|---:|---:|");
    let mut setup = Vec::new();
    let backends: &[&str] = if postgres {
        &["sqlite", "postgres"]
    } else {
        &["sqlite"]
    };
    for backend in backends {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["phase-proximite", backend, &reports.to_string()])
            .output()
            .expect("phase");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for l in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(r) = l.strip_prefix("rep ") {
                println!("| {backend} | {} |", r.replace('|', " | "));
            } else {
                setup.push(format!("{backend} {l}"));
            }
        }
    }
    println!();
    for l in setup {
        println!("- {l} s");
    }
}
