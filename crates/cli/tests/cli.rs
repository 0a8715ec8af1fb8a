//! The CLI contract, run as users run it: the real `logis` binary on a real SQLite file and on a
//! real PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output};

fn logis(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logis"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("LOGIS_DATABASE_URL")
        .output()
        .expect("lancement de logis")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const GOOD: &str = "reference;bailleur;commune;nature;produit;logements;annee;cout\n\
    V-1;Vilogia;Dunkerque;Construction neuve;PLUS;30;2026;4 500 000,00\n\
    V-1;Vilogia;Dunkerque;Construction neuve;PLAI;10;2026;\n\
    V-2;Vilogia;Loon-Plage;Démolition;;16;2027;\n";

const BAD: &str = "reference;bailleur;commune;nature;logements;annee\n\
    X-1;Vilogia;Dunkerque;Démolition;12;2026\n\
    X-2;Vilogia;Paris-Plage-du-Nord;Démolition;12;2026\n\
    X-3;Vilogia;Dunkerque;Démolition;-1;2026\n";

fn scenario(db: &str, dir: &Path) {
    let out = logis(db, &["init", "--territoire", "245900428"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Territoire"),
        "{}",
        text(&out.stdout)
    );

    let bad_siren = logis(
        db,
        &[
            "org",
            "add",
            "--kind",
            "bailleur",
            "--name",
            "Vilogia",
            "--siren",
            "123456789",
        ],
    );
    assert!(!bad_siren.status.success());
    assert!(
        text(&bad_siren.stderr).contains("SIREN"),
        "{}",
        text(&bad_siren.stderr)
    );
    let ok = logis(
        db,
        &["org", "add", "--kind", "bailleur", "--name", "Vilogia"],
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let dup = logis(
        db,
        &["org", "add", "--kind", "bailleur", "--name", "VILOGIA"],
    );
    assert!(!dup.status.success() && text(&dup.stderr).contains("existe déjà"));

    let bad = dir.join("mauvais.csv");
    std::fs::write(&bad, BAD).unwrap();
    let out = logis(db, &["import", "operations", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stderr);
    assert!(report.contains("Import refusé : 2 erreur(s)"), "{report}");
    assert!(
        report.contains("ligne 3, colonne « commune »")
            && report.contains("ligne 4, colonne « logements »"),
        "{report}"
    );

    let good = dir.join("bon.csv");
    std::fs::write(&good, GOOD).unwrap();
    let check = logis(
        db,
        &["import", "operations", "--verifier", good.to_str().unwrap()],
    );
    assert!(
        check.status.success() && text(&check.stdout).contains("rien n'a été écrit"),
        "{}",
        text(&check.stdout)
    );
    let out = logis(db, &["import", "operations", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("3 ligne(s) lue(s)"),
        "{}",
        text(&out.stdout)
    );
    let again = logis(db, &["import", "operations", good.to_str().unwrap()]);
    assert!(
        text(&again.stdout).contains("3 inchangée(s)"),
        "{}",
        text(&again.stdout)
    );

    let csv = logis(db, &["export", "operations", "--format", "csv"]);
    assert!(csv.status.success());
    let exported = text(&csv.stdout);
    assert_eq!(exported.lines().count(), 4, "{exported}");
    assert!(
        exported.contains("V-2;Vilogia;59359;Loon-Plage"),
        "{exported}"
    );
    let xlsx_path = dir.join("export.xlsx");
    let x = logis(
        db,
        &[
            "export",
            "operations",
            "--format",
            "xlsx",
            "-o",
            xlsx_path.to_str().unwrap(),
        ],
    );
    assert!(x.status.success(), "{}", text(&x.stderr));
    assert!(std::fs::read(&xlsx_path).unwrap().starts_with(b"PK"));
    let reimport = logis(db, &["import", "operations", xlsx_path.to_str().unwrap()]);
    assert!(
        text(&reimport.stdout).contains("3 inchangée(s)"),
        "{}{}",
        text(&reimport.stdout),
        text(&reimport.stderr)
    );

    let communes = logis(
        db,
        &["communes", "--search", "fort mardyck", "--format", "csv"],
    );
    assert!(communes.status.success());
    let communes = logis(
        db,
        &["communes", "--search", "Grande Synthe", "--format", "csv"],
    );
    assert!(
        text(&communes.stdout)
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("59271;Grande-Synthe;59;")),
        "{}",
        text(&communes.stdout)
    );

    // `check`: totals reconciled against their detail rows, nothing written.
    let totals_ok = "reference;bailleur;commune;nature;produit;logements;annee;libelle\n\
        T-1;Vilogia;Dunkerque;Construction neuve;PLUS;30;2026;\n\
        T-1;Vilogia;Dunkerque;Construction neuve;PLAI;10;2026;\n\
        T-2;Vilogia;Loon-Plage;Démolition;;16;2027;\n\
        ;;;;;40;2026;Total 2026\n\
        ;;;;PLUS;30;;Total PLUS\n\
        ;;;;;56;;Total général\n";
    let ok_path = dir.join("totaux-justes.csv");
    std::fs::write(&ok_path, totals_ok).unwrap();
    let check = logis(db, &["check", ok_path.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    assert!(
        text(&check.stdout).contains(
            "3 ligne(s) de total déclarée(s), non importée(s) comme opérations ; 0 en désaccord"
        ),
        "{}",
        text(&check.stdout)
    );
    let wrong_path = dir.join("totaux-faux.csv");
    std::fs::write(
        &wrong_path,
        totals_ok.replace(";56;;Total général", ";60;;Total général"),
    )
    .unwrap();
    let check = logis(db, &["check", wrong_path.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        text(&check.stdout).contains(
            "« Total général » déclare 60, le détail (toutes les lignes) donne 56 — écart +4"
        ),
        "{}",
        text(&check.stdout)
    );
    let after = logis(db, &["export", "operations", "--format", "csv"]);
    assert!(!text(&after.stdout).contains("T-1"), "check writes nothing");

    // Seed 003's rehabilitation table as published (typed from the seed, every total row it
    // prints, « CUD Total PALULOS » and the commune rows' « TOTAL 2005- 2007 » included):
    // exactly its three wrong totals. Dunkerque = 30 + 40 + 68 + 40 = 178; PAM = 100 + 40 + 68
    // + 42 + 40 + 12 = 302; all = PALULOS 407 + PAM 302 = 709.
    for name in [
        "Partenord Habitat",
        "Habitat du Nord",
        "Cottage Social des Flandres",
        "Maison Flamande",
    ] {
        let out = logis(db, &["org", "add", "--kind", "bailleur", "--name", name]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let published = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/plh-2005-2007-rehabilitation-publiee.csv");
    let check = logis(db, &["check", published.to_str().unwrap()]);
    let said = text(&check.stdout);
    assert_eq!(
        check.status.code(),
        Some(1),
        "{said}{}",
        text(&check.stderr)
    );
    let wrong: Vec<&str> = said.lines().filter(|l| l.contains(" déclare ")).collect();
    assert_eq!(wrong.len(), 3, "{said}");
    for (row, label, declared, computed) in [
        (9, "TOTAL 2005- 2007", "230", "178"),
        (30, "CUD Total PAM", "348", "302"),
        (34, "CUD Total Réhabilitations", "755", "709"),
    ] {
        assert!(
            wrong.iter().any(|l| l.contains(&format!(
                "ligne {row} : « {label} » déclare {declared}, le détail"
            )) && l.contains(&format!("donne {computed}"))),
            "{said}"
        );
    }
    assert!(said.contains("21 ligne(s) de total déclarée(s)"), "{said}");
    // A row in error never counts in a computed total: the total whose scope holds it says so.
    let broken = std::fs::read_to_string(&published).unwrap().replace(
        "Rue Herbeaux;Réhabilitation;PALULOS;30;2005",
        "Rue Herbeaux;Réhabilitation;PALULOS;trente;2005",
    );
    let broken_path = dir.join("rehabilitation-ligne-en-erreur.csv");
    std::fs::write(&broken_path, broken).unwrap();
    let check = logis(db, &["check", broken_path.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
    let said = format!("{}{}", text(&check.stdout), text(&check.stderr));
    assert!(
        said.contains("« CUD Total Réhabilitations » déclare 755, le détail (toutes les lignes) donne 679 — écart +76 — calcul incomplet : la ligne 10 est en erreur"),
        "{said}"
    );
    assert!(said.contains("ligne 10, colonne « logements »"), "{said}");

    // Reports: long CSV, XLSX and standalone HTML.
    let rep = logis(
        db,
        &[
            "report",
            "production",
            "--bailleur",
            "vilogia",
            "--format",
            "csv",
        ],
    );
    assert!(rep.status.success(), "{}", text(&rep.stderr));
    assert_eq!(
        text(&rep.stdout),
        "\u{feff}commune_insee;commune;annee;produit;logements\n59183;Dunkerque;2026;PLAI;10\n59183;Dunkerque;2026;PLUS;30\n"
    );
    let html_path = dir.join("rapport.html");
    let rep = logis(
        db,
        &[
            "report",
            "renouvellement",
            "--format",
            "html",
            "-o",
            html_path.to_str().unwrap(),
        ],
    );
    assert!(rep.status.success(), "{}", text(&rep.stderr));
    assert!(
        std::fs::read_to_string(&html_path)
            .unwrap()
            .contains("<html lang=\"fr\">")
    );
    let xlsx_report = dir.join("rapport.xlsx");
    let rep = logis(
        db,
        &[
            "report",
            "rehabilitation",
            "--format",
            "xlsx",
            "-o",
            xlsx_report.to_str().unwrap(),
        ],
    );
    assert!(rep.status.success() && std::fs::read(&xlsx_report).unwrap().starts_with(b"PK"));
    let rep = logis(db, &["report", "production", "--programme", "Dunkerk 2030"]);
    assert!(
        !rep.status.success()
            && text(&rep.stderr).contains("programme inconnu(e) « Dunkerk 2030 »"),
        "{}",
        text(&rep.stderr)
    );
    let rep = logis(db, &["report", "budget"]);
    assert!(
        !rep.status.success()
            && text(&rep.stderr).contains("rapports : production, rehabilitation, renouvellement")
    );

    let missing = logis(
        db,
        &[
            "import",
            "operations",
            dir.join("absent.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("fichier introuvable"),
        "{}",
        text(&missing.stderr)
    );

    // Former communes: the 2005 rehabilitation table imported (its detail rows), then shown
    // as published with --communes-d-origine (Saint Pol sur mer 152 and Fort-Mardyck 16 on
    // rows of their own), by today's commune without it.
    let published = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/plh-2005-2007-rehabilitation-publiee.csv");
    let out = logis(db, &["import", "operations", published.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let as_written = logis(
        db,
        &[
            "report",
            "rehabilitation",
            "--format",
            "csv",
            "--communes-d-origine",
        ],
    );
    let csv = text(&as_written.stdout);
    assert!(as_written.status.success(), "{}", text(&as_written.stderr));
    assert!(
        csv.contains("\n59540;Saint-Pol-sur-Mer;2006;PALULOS;152\n"),
        "{csv}"
    );
    assert!(
        csv.contains("\n59248;Fort-Mardyck;2007;PALULOS;16\n"),
        "{csv}"
    );
    let today = text(&logis(db, &["report", "rehabilitation", "--format", "csv"]).stdout);
    assert!(
        today.contains("\n59183;Dunkerque;2006;PALULOS;152\n"),
        "{today}"
    );
    assert!(!today.contains("Saint-Pol"), "{today}");
    land(db, dir);
    relocation(db, dir);
}

/// The land bank and grouped tenders by the command line: import, decisions, reports.
fn land(db: &str, dir: &Path) {
    let sites = dir.join("fonciers.csv");
    std::fs::write(
        &sites,
        "foncier;commune;parcelles;proprietaire;capacite_logements;statut;date_statut;bailleur;motif\n\
         CUD-F-1;Dunkerque;AB 12|AB 13;EPCI;80;attribué;01/03/2025;Vilogia;offre retenue\n\
         CUD-F-2;Loon-Plage;ZB 4;commune;40;proposé;;;\n",
    )
    .unwrap();
    let out = logis(db, &["import", "foncier", sites.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("2 foncier(s) créé(s)"),
        "{}",
        text(&out.stdout)
    );
    let again = logis(db, &["import", "foncier", sites.to_str().unwrap()]);
    assert!(
        text(&again.stdout).contains("2 inchangé(s)"),
        "{}",
        text(&again.stdout)
    );
    let bad = dir.join("fonciers-faux.csv");
    std::fs::write(&bad, "foncier;commune;parcelles;proprietaire;statut\nCUD-F-3;Dunkerque;rue du Port;EPCI;proposé\n").unwrap();
    let out = logis(db, &["import", "foncier", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("ligne 2, colonne « parcelles »"),
        "{}",
        text(&out.stderr)
    );
    let out = logis(
        db,
        &[
            "foncier",
            "attribuer",
            "CUD-F-1",
            "--bailleur",
            "Vilogia",
            "--motif",
            "x",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("est déjà attribué à Vilogia depuis le 01/03/2025"),
        "{}",
        text(&out.stderr)
    );
    for args in [
        &["foncier", "retirer", "CUD-F-1", "--motif", "projet repris"][..],
        &[
            "foncier",
            "attribuer",
            "CUD-F-1",
            "--bailleur",
            "Vilogia",
            "--motif",
            "projet repris",
            "--date",
            "02/04/2025",
        ],
        &["foncier", "rattacher", "CUD-F-1", "--operation", "V-1"],
    ] {
        let out = logis(db, args);
        assert!(out.status.success(), "{args:?} {}", text(&out.stderr));
    }
    let report = text(&logis(db, &["report", "foncier"]).stdout);
    assert!(
        report.contains("\n59183;Dunkerque;operation_lancee;1;80;"),
        "{report}"
    );
    let tenders = dir.join("appels.csv");
    std::fs::write(
        &tenders,
        "appel;coordinateur;nature_travaux;lot;bailleur;operation;estimation;montant_attribue;attributaire_siret\n\
         AOG-1;Vilogia;construction neuve;Lot 1;Vilogia;V-1;1 000 000;920 000;73282932000074\n",
    )
    .unwrap();
    let out = logis(db, &["import", "appels-offres", tenders.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 créé(s)"),
        "{}",
        text(&out.stdout)
    );
    let costs = text(&logis(db, &["report", "couts"]).stdout);
    assert!(costs.starts_with("\u{feff}bailleur;nature;produit;annee;groupe;operations;logements;surface_m2;prix_de_revient;cout_par_logement;cout_par_m2"), "{costs}");
    assert!(
        costs.contains("Vilogia;new_build;plus;2026;oui;1;30;;4500000;150000;"),
        "{costs}"
    );
}

/// Relocation: households and vacancies imported (a bad row named, nothing written), the
/// matching's proposals with their reasons, the feasible pairs' costs.
fn relocation(db: &str, dir: &Path) {
    let households = dir.join("menages.csv");
    std::fs::write(
        &households,
        "menage;bailleur;projet;commune;personnes;ressources;loyer;charges;aide_logement;communes_souhaitees
         M-1;Vilogia;Banc Vert;Dunkerque;3;1500;400;80;200;Dunkerque
",
    )
    .unwrap();
    let bad = dir.join("menages-faux.csv");
    std::fs::write(
        &bad,
        "menage;bailleur;projet;commune;personnes;ressources;loyer
M-9;Vilogia;Banc Vert;Dunkerque;0;1500;400
",
    )
    .unwrap();
    let out = logis(
        db,
        &["relogement", "import", "menages", bad.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("ligne 2, colonne « personnes »"),
        "{}",
        text(&out.stderr)
    );
    let out = logis(
        db,
        &[
            "relogement",
            "import",
            "menages",
            households.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Ménages : 1 créé(s)"),
        "{}",
        text(&out.stdout)
    );
    let vacancies = dir.join("logements.csv");
    std::fs::write(
        &vacancies,
        "logement;bailleur;commune;qpv;pieces;loyer;charges;neuf_ou_recent
L-1;Partenord Habitat;Dunkerque;non;3;412;80;oui
",
    )
    .unwrap();
    let out = logis(
        db,
        &[
            "relogement",
            "import",
            "logements",
            vacancies.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = logis(db, &["relogement", "apparier"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let proposals = text(&out.stdout);
    assert!(
        proposals.starts_with(
            "bailleur_menage;menage;bailleur_logement;logement;cout;raisons
"
        ),
        "{proposals}"
    );
    assert!(proposals.contains("Vilogia;M-1;Partenord Habitat;L-1;22;commune souhaitée n° 1, T3 pour 3 personnes, reste à charge +12 €"), "{proposals}");
    assert!(
        text(&out.stderr).contains("Rien n'a été enregistré"),
        "{}",
        text(&out.stderr)
    );
    let costs = text(&logis(db, &["relogement", "couts"]).stdout);
    assert_eq!(
        costs,
        "bailleur_menage;menage;bailleur_logement;logement;cout
Vilogia;M-1;Partenord Habitat;L-1;22
"
    );
    // The cost rules of a run.
    let costs = text(&logis(db, &["relogement", "couts", "--regle", "voeu_1=5"]).stdout);
    assert!(
        costs.ends_with("Vilogia;M-1;Partenord Habitat;L-1;27\n"),
        "{costs}"
    );
    let out = logis(db, &["relogement", "couts", "--regle", "perdu=1"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("règle inconnue « perdu »"),
        "{}",
        text(&out.stderr)
    );
    let out = logis(db, &["relogement", "apparier", "--regle", "qpv=-3"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("n'est pas un nombre entier"),
        "{}",
        text(&out.stderr)
    );
    // Recorded: the household waits for its answer, the dwelling leaves the pool.
    let out = logis(db, &["relogement", "apparier", "--enregistrer"]);
    assert!(
        text(&out.stderr).contains("Propositions enregistrées"),
        "{}",
        text(&out.stderr)
    );
    let out = logis(db, &["relogement", "apparier"]);
    assert_eq!(
        text(&out.stdout),
        "bailleur_menage;menage;bailleur_logement;logement;cout;raisons\n"
    );
    // The follow-up: the answer and the relocation; a bad row names its column.
    let follow = dir.join("suivi.csv");
    std::fs::write(
        &follow,
        "menage;bailleur;evenement;date;logement;bailleur_logement;reponse;motif;nature;loyer;charges;aide_logement
M-1;Vilogia;reponse;10/03/2026;L-1;Partenord Habitat;acceptée;;;;;
M-1;Vilogia;relogement;01/04/2026;L-1;Partenord Habitat;;;définitif;412;80;200
",
    )
    .unwrap();
    let bad = dir.join("suivi-faux.csv");
    std::fs::write(
        &bad,
        "menage;bailleur;evenement;date
M-1;Vilogia;visite;10/03/2026
",
    )
    .unwrap();
    let out = logis(
        db,
        &["relogement", "import", "suivi", bad.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("ligne 2, colonne « evenement »"),
        "{}",
        text(&out.stderr)
    );
    let out = logis(
        db,
        &["relogement", "import", "suivi", follow.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Suivi : 2 créé(s)"),
        "{}",
        text(&out.stdout)
    );
    // The indicators (aggregates with the statistical secret), then the purge.
    let out = logis(db, &["report", "relogement"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(
        report.contains("projet;indicateur;libelle;unite;valeur"),
        "{report}"
    );
    assert!(
        report.contains("Total;menages;Ménages à reloger (tous statuts);nombre;< 5"),
        "{report}"
    );
    let out = logis(db, &["relogement", "purger", "--avant", "hier"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("n'est pas une date"),
        "{}",
        text(&out.stderr)
    );
    let out = logis(db, &["relogement", "purger", "--avant", "02/04/2026"]);
    assert!(
        text(&out.stdout).contains("1 ménage(s) anonymisé(s)"),
        "{}",
        text(&out.stdout)
    );
}

/// `init --territoire` takes several EPCIs or a department: the mining basin's, the
/// Pas-de-Calais landlords' whole department; a bad part is refused in French.
#[test]
fn a_territory_of_several_parts() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("logis.db").display());
    let out = logis(&db, &["init", "--territoire", "245900428,dep:62"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("Territoire : CU de Dunkerque, département 62 ("),
        "{said}"
    );
    let out = logis(&db, &["init", "--territoire", "dep:6"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("département illisible « dep:6 »"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn cli_contract_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("logis.db").display());
    scenario(&db, dir.path());
}

#[test]
fn cli_contract_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let db = logis_conformance::TestDb::fresh(logis_conformance::Kind::Postgres);
    scenario(&db.url, dir.path());
}

#[test]
fn unknown_database_urls_are_refused_in_french() {
    let out = logis("mysql://x", &["init"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("adresse de base de données non reconnue"),
        "{}",
        text(&out.stderr)
    );
}

/// `logis serve` answers on localhost: health, dashboard, export.
#[test]
fn serve_answers_on_localhost() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("logis.db").display());
    std::fs::write(dir.path().join("bon.csv"), GOOD).unwrap();
    let init = logis(&db, &["init", "--territoire", "245900428"]);
    assert!(init.status.success());
    // `init` creates the first administrator and prints a one-time link to choose a password.
    let init_out = text(&init.stdout);
    let secret = init_out
        .split("/reinitialiser/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("pas de lien dans : {init_out}"))
        .to_string();
    assert!(init_out.contains("« admin »"), "{init_out}");
    let users = logis(&db, &["user", "list"]);
    assert!(
        text(&users.stdout).contains("admin;Administrateur;admin_epci;;oui;non"),
        "{}",
        text(&users.stdout)
    );
    assert!(
        logis(
            &db,
            &["org", "add", "--kind", "bailleur", "--name", "Vilogia"]
        )
        .status
        .success()
    );
    assert!(
        logis(
            &db,
            &[
                "import",
                "operations",
                dir.path().join("bon.csv").to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_logis"))
        .args(["--db", &db, "serve", "--addr", &addr])
        .spawn()
        .unwrap();
    let http = |method: &str, path: &str, cookie: &str, body: &str| -> Option<String> {
        let mut s = std::net::TcpStream::connect(&addr).ok()?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .ok()?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).ok()?;
        Some(text(&out))
    };
    let set_cookie = |resp: &str, name: &str| -> String {
        resp.lines()
            .filter_map(|l| l.strip_prefix("set-cookie: "))
            .find(|l| l.starts_with(&format!("{name}=")))
            .and_then(|l| l.split(';').next())
            .unwrap_or_default()
            .to_string()
    };
    let hidden = |page: &str| -> String {
        page.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_string()
    };
    let mut health = None;
    for _ in 0..100 {
        health = http("GET", "/sante", "", "");
        if health.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let session = std::sync::Mutex::new(String::new());
    let get = |path: &str| -> Option<String> {
        let c = session.lock().map(|s| s.clone()).unwrap_or_default();
        http("GET", path, &c, "")
    };
    let result = std::panic::catch_unwind(|| {
        let health = health.expect("le serveur répond");
        // Without a session every page leads to the login page.
        let anonymous = get("/").unwrap();
        assert!(
            anonymous.starts_with("HTTP/1.1 303")
                && anonymous.contains("location: /connexion?suite=%2F"),
            "{anonymous}"
        );
        // The administrator chooses a password through the link, then logs in.
        let form = http("GET", &format!("/reinitialiser/{secret}"), "", "").unwrap();
        let pre = set_cookie(&form, "logis_pre");
        let body = format!(
            "csrf={}&mot_de_passe=premier-mot-de-passe&confirmation=premier-mot-de-passe",
            hidden(&form)
        );
        let chosen = http("POST", &format!("/reinitialiser/{secret}"), &pre, &body).unwrap();
        assert!(chosen.contains("Mot de passe enregistré"), "{chosen}");
        let again = http("POST", &format!("/reinitialiser/{secret}"), &pre, &body).unwrap();
        assert!(
            again.starts_with("HTTP/1.1 410"),
            "le lien ne sert qu'une fois : {again}"
        );
        let login = http("GET", "/connexion", "", "").unwrap();
        let pre = set_cookie(&login, "logis_pre");
        let forged = http(
            "POST",
            "/connexion",
            &pre,
            "csrf=faux&identifiant=admin&mot_de_passe=premier-mot-de-passe",
        )
        .unwrap();
        assert!(forged.starts_with("HTTP/1.1 403"), "{forged}");
        let body = format!(
            "csrf={}&identifiant=admin&mot_de_passe=premier-mot-de-passe&suite=%2F",
            hidden(&login)
        );
        let logged = http("POST", "/connexion", &pre, &body).unwrap();
        assert!(logged.starts_with("HTTP/1.1 303"), "{logged}");
        let cookie = set_cookie(&logged, "logis_session");
        assert!(logged.contains("HttpOnly; SameSite=Lax"), "{logged}");
        *session.lock().unwrap() = cookie;
        assert!(
            health.contains("200 OK") && health.contains("\"statut\":\"ok\""),
            "{health}"
        );
        let page = get("/").unwrap();
        assert!(
            page.contains("<html lang=\"fr\">")
                && page.contains("Vilogia")
                && page.contains("Tableau de bord"),
            "{page}"
        );
        assert!(page.to_lowercase().contains("content-security-policy"));
        let csv = get("/operations/export?format=csv").unwrap();
        assert!(csv.contains("V-2;Vilogia;59359;Loon-Plage"), "{csv}");
        let report = get("/rapports/production").unwrap();
        assert!(
            report.contains("200 OK")
                && report.contains("Total 2026")
                && report.contains("<caption>"),
            "{report}"
        );
        let report_csv = get("/rapports/production/export?format=csv&annee_min=2026").unwrap();
        assert!(
            report_csv.contains("59183;Dunkerque;2026;PLUS;30"),
            "{report_csv}"
        );
        let by_commune = get("/rapports/production?commune=dunkerque&epci=245900428").unwrap();
        assert!(
            by_commune.contains("commune : Dunkerque (59183)") && by_commune.contains("Total 2026"),
            "{by_commune}"
        );
        let elsewhere = get("/rapports/production/export?format=csv&commune=59359").unwrap();
        assert!(!elsewhere.contains("59183;Dunkerque"), "{elsewhere}");
        let bad = get("/rapports/production?annee_min=deux").unwrap();
        assert!(bad.contains("année invalide"), "{bad}");
        let missing = get("/nulle-part").unwrap();
        assert!(missing.starts_with("HTTP/1.1 404") && missing.contains("Page introuvable"));
        let escaped = get("/communes?q=%3Cscript%3Ealert(1)%3C/script%3E").unwrap();
        assert!(
            !escaped.contains("<script>alert(1)") && escaped.contains("&#60;script&#62;"),
            "{escaped}"
        );
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// The register's state as the test compares it: operations, lines, dwellings, the
/// pre-aggregated sums' lines and dwellings, audit rows.
fn state(url: &str) -> [u64; 6] {
    let store = logis_conformance::connect(url).unwrap();
    let s = store.summary().unwrap();
    let (total_lines, total_dwellings, audit) = logis_store::tx::read(&*store, |tx| {
        let r = tx.query(
            "SELECT CAST(coalesce(sum(lines), 0) AS BIGINT), CAST(coalesce(sum(dwellings), 0) AS BIGINT), (SELECT count(*) FROM audit_log) FROM line_totals",
            &[],
        )?;
        let r = &r[0];
        Ok((r.int(0)? as u64, r.int(1)? as u64, r.int(2)? as u64))
    })
    .unwrap();
    [
        s.operations,
        s.lines,
        s.dwellings,
        total_lines,
        total_dwellings,
        audit,
    ]
}

/// `kill -9` at several moments of a large import leaves the register as it was — or, when the
/// import had committed, as the whole file makes it: never half of it; the sums agree with the
/// lines; the next import goes through.
fn killed_imports(db: &str, dir: &Path) {
    let out = logis(db, &["init", "--territoire", "245900428"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = logis(
        db,
        &["org", "add", "--kind", "bailleur", "--name", "Vilogia"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let good = dir.join("bon.csv");
    std::fs::write(&good, GOOD).unwrap();
    let out = logis(db, &["import", "operations", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = state(db);
    // 60,000 new lines over 20,000 operations.
    let big = dir.join("gros.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    writeln!(
        f,
        "reference;bailleur;commune;nature;produit;logements;annee"
    )
    .unwrap();
    for i in 0..20_000 {
        for (product, n) in [("PLUS", 12), ("PLAI", 4), ("PLS", 2)] {
            writeln!(
                f,
                "K-{i};Vilogia;Dunkerque;Construction neuve;{product};{n};2027"
            )
            .unwrap();
        }
    }
    drop(f);
    let whole = [
        before[0] + 20_000,
        before[1] + 60_000,
        before[2] + 20_000 * 18,
        before[3] + 60_000,
        before[4] + 20_000 * 18,
    ];
    let mut seen_whole = false;
    for ms in [150u64, 500, 1_200, 2_500, 5_000] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_logis"))
            .arg("--db")
            .arg(db)
            .args(["import", "operations", big.to_str().unwrap()])
            .env_remove("LOGIS_DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(ms));
        // (SIGKILL: Child::kill sends it on Unix.)
        let _ = child.kill();
        let _ = child.wait();
        let now = state(db);
        eprintln!(
            "tué après {ms} ms : {}",
            if now == before {
                "rien d'écrit"
            } else {
                "import complet"
            }
        );
        if now == before {
            continue;
        }
        assert_eq!(now[..5], whole, "killed after {ms} ms: half an import");
        assert!(now[5] > before[5]);
        seen_whole = true;
        break;
    }
    // Whatever happened, the register is whole and the next import goes through.
    let t = std::time::Instant::now();
    let out = logis(db, &["import", "operations", big.to_str().unwrap()]);
    eprintln!("import complet en {:.1} s", t.elapsed().as_secs_f64());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let after = state(db);
    assert_eq!(after[..5], whole);
    let _ = seen_whole;
}

#[test]
fn killed_imports_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("logis.db").display());
    killed_imports(&db, dir.path());
}

#[test]
fn killed_imports_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let db = logis_conformance::TestDb::fresh(logis_conformance::Kind::Postgres);
    killed_imports(&db.url, dir.path());
}
