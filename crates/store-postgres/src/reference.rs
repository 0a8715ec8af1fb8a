use super::*;
use logis_store::reference;
use logis_store::reference::sql;

fn commune_from_row(r: &Row) -> Result<Commune> {
    let epci: Option<String> = r.get(4);
    let population: Option<i64> = r.get(3);
    Ok(Commune {
        code: code(r.get(0))?,
        name: r.get(1),
        department: r.get(2),
        population: population.and_then(|p| u32::try_from(p).ok()),
        epci: epci.as_deref().map(siren).transpose()?,
    })
}

impl ReferenceStore for PostgresStore {
    fn reference_loaded(&self) -> Result<bool> {
        Ok(self
            .conn()?
            .query_one(sql::REFERENCE_LOADED, &[])
            .map_err(pg)?
            .get(0))
    }

    fn load_reference(&self, actor: &Actor, data: &ReferenceData) -> Result<()> {
        self.geo.clear();
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        tx.batch_execute(
            "DELETE FROM former_communes; DELETE FROM departments;
             CREATE TEMP TABLE ref_epcis (siren TEXT, name TEXT, name_key TEXT, kind TEXT) ON COMMIT DROP;
             CREATE TEMP TABLE ref_communes (code TEXT, name TEXT, name_key TEXT, department TEXT, population BIGINT, epci_siren TEXT) ON COMMIT DROP;",
        )
        .map_err(pg)?;
        let mut buf = Vec::with_capacity(COPY_BUFFER);
        for (code, name, region) in &data.departments {
            copy_row(&mut buf, &[Some(code), Some(name), Some(region)]);
        }
        copy_send(
            &mut tx,
            "COPY departments (code, name, region) FROM STDIN",
            &mut buf,
        )?;
        for e in &data.epcis {
            copy_row(
                &mut buf,
                &[
                    Some(e.siren.as_str()),
                    Some(&e.name),
                    Some(&name_key(&e.name)),
                    Some(&e.kind),
                ],
            );
        }
        copy_send(&mut tx, "COPY ref_epcis FROM STDIN", &mut buf)?;
        for cm in &data.communes {
            let pop = cm.population.map(|p| p.to_string());
            copy_row(
                &mut buf,
                &[
                    Some(cm.code.as_str()),
                    Some(&cm.name),
                    Some(&name_key(&cm.name)),
                    Some(&cm.department),
                    pop.as_deref(),
                    cm.epci.as_ref().map(Siren::as_str),
                ],
            );
        }
        copy_send(&mut tx, "COPY ref_communes FROM STDIN", &mut buf)?;
        tx.batch_execute(
            "INSERT INTO epcis (siren, name, name_key, kind) SELECT siren, name, name_key, kind FROM ref_epcis
               ON CONFLICT (siren) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, kind = excluded.kind;
             INSERT INTO communes (code, name, name_key, department, population, epci_siren)
               SELECT code, name, name_key, department, population, epci_siren FROM ref_communes
               ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, department = excluded.department,
                 population = excluded.population, epci_siren = excluded.epci_siren;",
        )
        .map_err(pg)?;
        // Former communes may repeat (code, name): keep the first, as SQLite's INSERT OR IGNORE does.
        let mut seen = std::collections::HashSet::new();
        for f in &data.former {
            if seen.insert((f.code.as_str(), f.name.as_str())) {
                copy_row(
                    &mut buf,
                    &[
                        Some(f.code.as_str()),
                        Some(&f.name),
                        Some(&name_key(&f.name)),
                        Some(f.kind.code()),
                        Some(f.current.as_str()),
                    ],
                );
            }
        }
        copy_send(
            &mut tx,
            "COPY former_communes (code, name, name_key, kind, current_code) FROM STDIN",
            &mut buf,
        )?;
        record(&mut tx, actor, &reference::changes::loaded(data))?;
        tx.batch_execute(logis_store::cube::sql::BUMP).map_err(pg)?;
        tx.commit().map_err(pg)
    }

    fn geography(&self) -> Result<std::sync::Arc<Geography>> {
        self.geo.get_or_load(|| self.read_geography())
    }

    fn search_communes(&self, text: &str, limit: u32) -> Result<Vec<Commune>> {
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let key = name_key(text);
        let code_prefix = format!(
            "{}%",
            text.trim()
                .to_ascii_uppercase()
                .replace(['%', '_', '\\'], "")
        );
        let mut c = self.conn()?;
        let rows = c
            .query(
                "SELECT code, name, department, population, epci_siren FROM communes
                 WHERE ($1 <> '' AND strpos(name_key, $1) > 0) OR code LIKE $2
                 ORDER BY (name_key = $1) DESC, (left(name_key, length($1)) = $1) DESC, population DESC NULLS LAST, code COLLATE \"C\" LIMIT $3",
                &[&key, &code_prefix, &i64::from(limit)],
            )
            .map_err(pg)?;
        rows.iter().map(commune_from_row).collect()
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()?
            .query_opt(sql::SETTING, &[&key])
            .map_err(pg)?
            .map(|r| r.get(0)))
    }

    fn set_setting(&self, actor: &Actor, key: &str, value: &str) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let before: Option<String> = tx
            .query_opt(sql::SETTING, &[&key])
            .map_err(pg)?
            .map(|r| r.get(0));
        if before.as_deref() == Some(value) {
            return Ok(());
        }
        tx.execute(sql::SET_SETTING, &[&key, &value]).map_err(pg)?;
        record(
            &mut tx,
            actor,
            &reference::changes::setting(key, before, value),
        )?;
        tx.commit().map_err(pg)
    }
}

impl PostgresStore {
    fn read_geography(&self) -> Result<Geography> {
        let mut c = self.conn()?;
        let communes = c
            .query("SELECT code, name, department, population, epci_siren FROM communes ORDER BY code COLLATE \"C\"", &[])
            .map_err(pg)?
            .iter()
            .map(commune_from_row)
            .collect::<Result<Vec<_>>>()?;
        let former = c
            .query("SELECT code, name, kind, current_code FROM former_communes ORDER BY code COLLATE \"C\", name COLLATE \"C\"", &[])
            .map_err(pg)?
            .iter()
            .map(|r| {
                let kind: &str = r.get(2);
                Ok(FormerCommune {
                    code: code(r.get(0))?,
                    name: r.get(1),
                    kind: decode(FormerKind::from_code(kind), "le type d'ancienne commune", kind)?,
                    current: code(r.get(3))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let epcis = c
            .query(
                "SELECT siren, name, kind FROM epcis ORDER BY siren COLLATE \"C\"",
                &[],
            )
            .map_err(pg)?
            .iter()
            .map(|r| {
                Ok(Epci {
                    siren: siren(r.get(0))?,
                    name: r.get(1),
                    kind: r.get(2),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Geography::new(communes, former, epcis))
    }
}
