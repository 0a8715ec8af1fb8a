use super::*;
use logis_store::reference;
use logis_store::reference::sql;

impl ReferenceStore for SqliteStore {
    fn reference_loaded(&self) -> Result<bool> {
        self.conn()?
            .query_row(sql::REFERENCE_LOADED, [], |r| r.get(0))
            .map_err(be)
    }

    fn load_reference(&self, actor: &Actor, data: &ReferenceData) -> Result<()> {
        self.geo.clear();
        let mut c = self.conn()?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        // Reference rows are replaced, never deleted while used: communes are upserted.
        tx.execute_batch("DELETE FROM former_communes; DELETE FROM departments;")
            .map_err(be)?;
        {
            let mut st = tx
                .prepare("INSERT INTO departments (code, name, region) VALUES (?1, ?2, ?3)")
                .map_err(be)?;
            for (code, name, region) in &data.departments {
                st.execute(params![code, name, region]).map_err(be)?;
            }
            let mut st = tx
                .prepare("INSERT INTO epcis (siren, name, name_key, kind) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (siren) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, kind = excluded.kind")
                .map_err(be)?;
            for e in &data.epcis {
                st.execute(params![e.siren.as_str(), e.name, name_key(&e.name), e.kind])
                    .map_err(be)?;
            }
            let mut st = tx
                .prepare(
                    "INSERT INTO communes (code, name, name_key, department, population, epci_siren) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, department = excluded.department,
                       population = excluded.population, epci_siren = excluded.epci_siren",
                )
                .map_err(be)?;
            for cm in &data.communes {
                st.execute(params![
                    cm.code.as_str(),
                    cm.name,
                    name_key(&cm.name),
                    cm.department,
                    cm.population,
                    cm.epci.as_ref().map(Siren::as_str)
                ])
                .map_err(be)?;
            }
            let mut st = tx
                .prepare("INSERT OR IGNORE INTO former_communes (code, name, name_key, kind, current_code) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(be)?;
            for f in &data.former {
                st.execute(params![
                    f.code.as_str(),
                    f.name,
                    name_key(&f.name),
                    f.kind.code(),
                    f.current.as_str()
                ])
                .map_err(be)?;
            }
        }
        record(&tx, actor, &reference::changes::loaded(data))?;
        tx.execute_batch(logis_store::cube::sql::BUMP).map_err(be)?;
        tx.commit().map_err(be)
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
            text.trim().to_ascii_uppercase().replace(['%', '_'], "")
        );
        let c = self.conn()?;
        let mut st = c
            .prepare(
                "SELECT code, name, department, population, epci_siren FROM communes
                 WHERE (?1 <> '' AND instr(name_key, ?1) > 0) OR code LIKE ?2
                 ORDER BY (name_key = ?1) DESC, (substr(name_key, 1, length(?1)) = ?1) DESC, population DESC, code LIMIT ?3",
            )
            .map_err(be)?;
        let rows = st
            .query_map(params![key, code_prefix, limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<u32>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(be)?;
        let mut out = Vec::new();
        for row in rows {
            let (code, name, department, population, epci) = row.map_err(be)?;
            out.push(Commune {
                code: CommuneCode::parse(&code).map_err(|e| StoreError::Backend(e.0))?,
                name,
                department,
                population,
                epci: epci.and_then(|s| Siren::parse(&s).ok()),
            });
        }
        Ok(out)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.conn()?
            .query_row(sql::SETTING, [key], |r| r.get(0))
            .optional()
            .map_err(be)
    }

    fn set_setting(&self, actor: &Actor, key: &str, value: &str) -> Result<()> {
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let before: Option<String> = tx
            .query_row(sql::SETTING, [key], |r| r.get(0))
            .optional()
            .map_err(be)?;
        if before.as_deref() == Some(value) {
            return Ok(());
        }
        tx.execute(sql::SET_SETTING, [key, value]).map_err(be)?;
        record(&tx, actor, &reference::changes::setting(key, before, value))?;
        tx.commit().map_err(be)
    }
}

impl SqliteStore {
    fn read_geography(&self) -> Result<Geography> {
        let c = self.conn()?;
        let mut st = c
            .prepare(
                "SELECT code, name, department, population, epci_siren FROM communes ORDER BY code",
            )
            .map_err(be)?;
        let mut communes = Vec::new();
        let mut rows = st.query([]).map_err(be)?;
        while let Some(r) = rows.next().map_err(be)? {
            let code: String = r.get(0).map_err(be)?;
            let epci: Option<String> = r.get(4).map_err(be)?;
            communes.push(Commune {
                code: CommuneCode::parse(&code).map_err(|e| StoreError::Backend(e.0))?,
                name: r.get(1).map_err(be)?,
                department: r.get(2).map_err(be)?,
                population: r.get(3).map_err(be)?,
                epci: epci
                    .map(|s| Siren::parse(&s).map_err(|e| StoreError::Backend(e.0)))
                    .transpose()?,
            });
        }
        let mut st = c
            .prepare(
                "SELECT code, name, kind, current_code FROM former_communes ORDER BY code, name",
            )
            .map_err(be)?;
        let mut former = Vec::new();
        let mut rows = st.query([]).map_err(be)?;
        while let Some(r) = rows.next().map_err(be)? {
            let code: String = r.get(0).map_err(be)?;
            let kind: String = r.get(2).map_err(be)?;
            let current: String = r.get(3).map_err(be)?;
            former.push(FormerCommune {
                code: CommuneCode::parse(&code).map_err(|e| StoreError::Backend(e.0))?,
                name: r.get(1).map_err(be)?,
                kind: decode(
                    FormerKind::from_code(&kind),
                    "le type d'ancienne commune",
                    &kind,
                )?,
                current: CommuneCode::parse(&current).map_err(|e| StoreError::Backend(e.0))?,
            });
        }
        let mut st = c
            .prepare("SELECT siren, name, kind FROM epcis ORDER BY siren")
            .map_err(be)?;
        let mut epcis = Vec::new();
        let mut rows = st.query([]).map_err(be)?;
        while let Some(r) = rows.next().map_err(be)? {
            let siren: String = r.get(0).map_err(be)?;
            epcis.push(Epci {
                siren: Siren::parse(&siren).map_err(|e| StoreError::Backend(e.0))?,
                name: r.get(1).map_err(be)?,
                kind: r.get(2).map_err(be)?,
            });
        }
        Ok(Geography::new(communes, former, epcis))
    }
}
