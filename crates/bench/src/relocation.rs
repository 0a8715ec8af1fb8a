//! `logis-bench relogement [MENAGES] [LOGEMENTS]`: the relocation matching at the scale issue 18
//! names (2,000 households, 10,000 vacancies over the communes of the CUD, generated with a
//! spread of sizes, rents and wishes), timed whole — the feasible pairs, their costs and the
//! optimal assignment — beside SciPy's `linear_sum_assignment` on the same cost matrix
//! (infeasible pairs at a prohibitive cost), in the same run: both must match as many households
//! for the same total cost. `LOGIS_BENCH_PYTHON`: a Python with SciPy (scripts/ensure-bench-python.sh).

use super::*;
use logis_domain::CommuneCode;
use logis_domain::relocation::matching::{Pairs, assign};
use logis_domain::relocation::{CostRules, HouseholdDraft, HouseholdStatus, VacancyDraft};

/// The prohibitive cost of an infeasible pair for SciPy (above any total of feasible costs).
const BIG: f64 = 1e9;

fn weighted(rng: &mut Rng, weights: &[u64]) -> usize {
    let total: u64 = weights.iter().sum();
    let mut x = below(rng, total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    0
}

/// Households and vacancies over the communes of the CUD.
pub(crate) fn generate(
    households: usize,
    vacancies: usize,
) -> (Vec<HouseholdDraft>, Vec<VacancyDraft>) {
    let geo = logis_io::reference::embedded().expect("référentiel");
    let communes: Vec<CommuneCode> = geo
        .communes
        .iter()
        .filter(|c| c.epci.as_ref().map(|s| s.as_str()) == Some(logis_app::demo::CUD_SIREN))
        .map(|c| c.code.clone())
        .collect();
    assert!(communes.len() > 10, "communes de la CUD");
    // Dunkerque and Grande-Synthe hold most of the stock and of the households to relocate.
    let weight = |i: usize| if i < 2 { 8 } else { 1 };
    let mut order = communes.clone();
    order.sort_by_key(|c| match c.as_str() {
        "59183" => 0,
        "59271" => 1,
        _ => 2,
    });
    let weights: Vec<u64> = (0..order.len()).map(weight).collect();
    let mut rng = Rng(18);
    let mut hs = Vec::with_capacity(households);
    for n in 0..households {
        let persons = 1 + weighted(&mut rng, &[30, 28, 18, 12, 7, 5]) as u32;
        let origin = order[weighted(&mut rng, &weights)].clone();
        let mut wished = vec![origin.clone()];
        for _ in 0..below(&mut rng, 3) {
            let c = order[weighted(&mut rng, &weights)].clone();
            if !wished.contains(&c) {
                wished.push(c);
            }
        }
        if below(&mut rng, 10) == 0 {
            wished.clear();
        }
        let rent = 25_000 + i64::from(persons) * 6_000 + below(&mut rng, 10_000) as i64;
        hs.push(HouseholdDraft {
            reference: format!("M-{n:05}"),
            landlord: 1 + below(&mut rng, 3) as i64,
            project: format!("PRU {}", n % 7),
            operation: None,
            commune: origin,
            persons,
            resources: 80_000 + below(&mut rng, 200_000) as i64,
            rent,
            charges: 6_000 + below(&mut rng, 6_000) as i64,
            benefit: below(&mut rng, 25_000) as i64,
            reduced_mobility: below(&mut rng, 12) == 0,
            wished,
            other_commune: below(&mut rng, 4) == 0,
            status: HouseholdStatus::ToRelocate,
            ccas_origin: None,
            ccas_destination: None,
        });
    }
    let mut vs = Vec::with_capacity(vacancies);
    for n in 0..vacancies {
        let rooms = 1 + weighted(&mut rng, &[12, 25, 32, 20, 8, 3]) as u32;
        vs.push(VacancyDraft {
            reference: format!("L-{n:05}"),
            landlord: 1 + below(&mut rng, 3) as i64,
            commune: order[weighted(&mut rng, &weights)].clone(),
            qpv: below(&mut rng, 3) == 0,
            rooms,
            surface_m2: Some(20 + rooms * 15),
            rent: 22_000 + i64::from(rooms) * 7_000 + below(&mut rng, 12_000) as i64,
            charges: 6_000 + below(&mut rng, 6_000) as i64,
            new_or_recent: below(&mut rng, 5) == 0,
            adapted: below(&mut rng, 8) == 0,
            financing: ["PLAI", "PLUS", "PLS"][below(&mut rng, 3) as usize].into(),
        });
    }
    (hs, vs)
}

fn pairs(hs: &[HouseholdDraft], vs: &[VacancyDraft], rules: &CostRules) -> Pairs {
    logis_domain::relocation::feasible_pairs(hs, vs, rules)
}

pub(crate) fn run(households: usize, vacancies: usize) {
    let (hs, vs) = generate(households, vacancies);
    let rules = CostRules::default();
    // logis: the whole matching, best of 3.
    let mut best = f64::MAX;
    let mut result = None;
    let mut stats = (0, 0);
    for _ in 0..3 {
        let t = Instant::now();
        let p = pairs(&hs, &vs, &rules);
        let a = assign(&p);
        best = best.min(t.elapsed().as_secs_f64());
        stats = (p.pairs(), p.rows());
        result = Some((a, p));
    }
    let (a, p) = result.expect("une exécution");
    let t = Instant::now();
    let p2 = pairs(&hs, &vs, &rules);
    let t_pairs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let _ = assign(&p2);
    eprintln!(
        "paires {t_pairs:.4} s, affectation {:.4} s",
        t.elapsed().as_secs_f64()
    );
    // The same cost matrix for SciPy.
    let dir = PathBuf::from("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("relogement-{households}x{vacancies}.f64"));
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        let mut row = vec![BIG; vacancies];
        for r in 0..households {
            row.iter_mut().for_each(|x| *x = BIG);
            for (c, x) in row.iter_mut().enumerate() {
                if let Some(k) = p.cost(r, c) {
                    *x = k as f64;
                }
            }
            for x in &row {
                out.write_all(&x.to_le_bytes()).unwrap();
            }
        }
    }
    println!(
        "| moteur | secondes (meilleure de 3) | ménages relogés | coût total | paires faisables |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| logis (paires, coûts et affectation) | {best:.4} | {} | {} | {} |",
        a.matched, a.total, stats.0
    );
    let python = std::env::var("LOGIS_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench-scipy-assignment.py");
    let out = Command::new(python)
        .arg(script)
        .arg(&file)
        .arg(households.to_string())
        .arg(vacancies.to_string())
        .arg(BIG.to_string())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            let f: Vec<&str> = text.split_whitespace().collect();
            if let [_, secs, matched, total] = f[..] {
                println!(
                    "| scipy linear_sum_assignment (affectation seule) | {secs} | {matched} | {total} | — |"
                );
                let s: f64 = secs.parse().unwrap_or(f64::NAN);
                println!();
                println!(
                    "ratio logis / scipy : {:.2} ; mêmes ménages relogés : {} ; même coût total : {}",
                    best / s,
                    matched == a.matched.to_string(),
                    total == a.total.to_string()
                );
            }
        }
        Ok(o) => eprintln!("scipy : {}", String::from_utf8_lossy(&o.stderr)),
        Err(e) => eprintln!("scipy : {e}"),
    }
    let _ = std::fs::remove_file(&file);
}
