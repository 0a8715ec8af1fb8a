mod import;

use super::*;
use import::SqliteImport;
use logis_store::register;
use logis_store::register::sql;

fn org_from_row(
    id: i64,
    kind: String,
    name: String,
    siren: Option<String>,
    commune: Option<String>,
) -> Result<Organisation> {
    Ok(Organisation {
        id,
        kind: decode(OrgKind::from_code(&kind), "le type d'organisation", &kind)?,
        name,
        siren: siren
            .map(|s| Siren::parse(&s).map_err(|e| StoreError::Backend(e.0)))
            .transpose()?,
        commune: commune
            .map(|c| CommuneCode::parse(&c).map_err(|e| StoreError::Backend(e.0)))
            .transpose()?,
    })
}

fn line_from_row(r: &rusqlite::Row<'_>) -> Result<LineRecord> {
    let g = |e: rusqlite::Error| be(e);
    let nature: String = r.get(11).map_err(g)?;
    let site: String = r.get(12).map_err(g)?;
    let product: String = r.get(13).map_err(g)?;
    let financing: String = r.get(14).map_err(g)?;
    let stage: Option<String> = r.get(17).map_err(g)?;
    let commune: String = r.get(5).map_err(g)?;
    Ok(LineRecord {
        line_id: r.get(0).map_err(g)?,
        operation_id: r.get(1).map_err(g)?,
        landlord: r.get(2).map_err(g)?,
        landlord_siren: r.get(3).map_err(g)?,
        reference: r.get(4).map_err(g)?,
        commune: CommuneCode::parse(&commune).map_err(|e| StoreError::Backend(e.0))?,
        commune_name: r.get(6).map_err(g)?,
        project: r.get(7).map_err(g)?,
        programme: r.get(8).map_err(g)?,
        quartier: r.get(9).map_err(g)?,
        label: r.get(10).map_err(g)?,
        nature: decode(Nature::from_code(&nature), "la nature", &nature)?,
        site: opt_dim(&site, Site::from_code, "le site")?,
        product: opt_dim(&product, Product::from_code, "le produit")?,
        financing: opt_dim(&financing, RehabFinancing::from_code, "le financement")?,
        dwellings: r.get(15).map_err(g)?,
        year: r.get(16).map_err(g)?,
        stage: stage
            .as_deref()
            .map(|s| decode(Stage::from_code(s), "le stade", s))
            .transpose()?,
        stage_date: parse_date(r.get(18).map_err(g)?)?,
        cost_cents: r.get(19).map_err(g)?,
        written_commune: r
            .get::<_, Option<String>>(20)
            .map_err(g)?
            .map(|c| CommuneCode::parse(&c).map_err(|e| StoreError::Backend(e.0)))
            .transpose()?,
        written_commune_name: r
            .get::<_, Option<String>>(21)
            .map_err(g)?
            .filter(|n| !n.is_empty()),
        surface_m2: r.get(22).map_err(g)?,
        energy: logis_domain::register::line::EnergyLabels {
            before: logis_store::register::stored_letter(r.get(23).map_err(g)?)?,
            after: logis_store::register::stored_letter(r.get(24).map_err(g)?)?,
            cep_before: r.get(25).map_err(g)?,
            cep_after: r.get(26).map_err(g)?,
        },
        rpls_ids: r.get(27).map_err(g)?,
    })
}

impl RegisterStore for SqliteStore {
    fn add_organisation(&self, actor: &Actor, org: &NewOrganisation) -> Result<Organisation> {
        let name = org.name.trim();
        if name.is_empty() || name_key(name).is_empty() {
            return Err(register::messages::name_required("de l'organisation"));
        }
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let res = tx.query_row(
            sql::INSERT_ORGANISATION,
            params![
                org.kind.code(),
                name,
                name_key(name),
                org.siren.as_ref().map(Siren::as_str),
                org.commune.as_ref().map(CommuneCode::as_str)
            ],
            |r| r.get::<_, i64>(0),
        );
        match res {
            Ok(id) => {
                let o = Organisation {
                    id,
                    kind: org.kind,
                    name: name.to_string(),
                    siren: org.siren.clone(),
                    commune: org.commune.clone(),
                };
                record(&tx, actor, &Change::created("organisation", id, None, &o))?;
                tx.commit().map_err(be)?;
                Ok(o)
            }
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                Err(register::messages::unknown_commune_of_organisation())
            }
            Err(e) if unique_violation(&e) => Err(register::messages::organisation_exists(
                org.kind.label(),
                name,
            )),
            Err(e) => Err(be(e)),
        }
    }

    fn organisations(&self) -> Result<Vec<Organisation>> {
        let c = self.conn()?;
        let mut st = c
            .prepare("SELECT id, kind, name, siren, commune_code FROM organisations ORDER BY kind, name_key")
            .map_err(be)?;
        let rows = st
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .map_err(be)?;
        rows.map(|r| {
            r.map_err(be)
                .and_then(|(a, b, c, d, e)| org_from_row(a, b, c, d, e))
        })
        .collect()
    }

    fn add_programme(&self, actor: &Actor, p: &NewProgramme) -> Result<Programme> {
        let name = p.name.trim();
        if name_key(name).is_empty() {
            return Err(register::messages::name_required("du programme"));
        }
        if let (Some(a), Some(b)) = (p.start_year, p.end_year)
            && a > b
        {
            return Err(register::messages::bad_period(a.get(), b.get()));
        }
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let res = tx.query_row(
            sql::INSERT_PROGRAMME,
            params![
                name,
                name_key(name),
                p.description,
                p.start_year.map(Year::get),
                p.end_year.map(Year::get),
                p.epci.as_ref().map(Siren::as_str)
            ],
            |r| r.get::<_, i64>(0),
        );
        match res {
            Ok(id) => {
                let prog = Programme {
                    id,
                    name: name.into(),
                    description: p.description.clone(),
                    start_year: p.start_year,
                    end_year: p.end_year,
                    epci: p.epci.clone(),
                };
                record(&tx, actor, &Change::created("programme", id, None, &prog))?;
                tx.commit().map_err(be)?;
                Ok(prog)
            }
            Err(e) if unique_violation(&e) => Err(register::messages::programme_exists(name)),
            Err(e) => Err(be(e)),
        }
    }

    fn programmes(&self) -> Result<Vec<Programme>> {
        let c = self.conn()?;
        let mut st = c.prepare("SELECT id, name, description, start_year, end_year, epci_siren FROM programmes ORDER BY name_key").map_err(be)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (id, name, description, a, b, epci) = r.map_err(be)?;
            Ok(Programme {
                id,
                name,
                description,
                start_year: opt_year(a)?,
                end_year: opt_year(b)?,
                epci: epci.and_then(|s| Siren::parse(&s).ok()),
            })
        })
        .collect()
    }

    fn add_project(
        &self,
        actor: &Actor,
        name: &str,
        kind: ProjectKind,
        programme_id: Option<i64>,
    ) -> Result<Project> {
        let name = name.trim();
        if name_key(name).is_empty() {
            return Err(register::messages::name_required("du projet"));
        }
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let res = tx.query_row(
            sql::INSERT_PROJECT,
            params![name, name_key(name), kind.code(), programme_id],
            |r| r.get::<_, i64>(0),
        );
        match res {
            Ok(id) => {
                let pr = Project {
                    id,
                    name: name.into(),
                    kind,
                    programme_id,
                };
                record(&tx, actor, &Change::created("projet", id, None, &pr))?;
                tx.commit().map_err(be)?;
                Ok(pr)
            }
            Err(e) if unique_violation(&e) => Err(register::messages::project_exists(name)),
            Err(e) => Err(be(e)),
        }
    }

    fn projects(&self) -> Result<Vec<Project>> {
        let c = self.conn()?;
        let mut st = c
            .prepare("SELECT id, name, kind, programme_id FROM projects ORDER BY name_key")
            .map_err(be)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (id, name, kind, programme_id) = r.map_err(be)?;
            Ok(Project {
                id,
                name,
                kind: decode(ProjectKind::from_code(&kind), "le type de projet", &kind)?,
                programme_id,
            })
        })
        .collect()
    }

    fn add_quartier(
        &self,
        actor: &Actor,
        name: &str,
        kind: QuartierKind,
        commune: &CommuneCode,
    ) -> Result<Quartier> {
        let name = name.trim();
        if name_key(name).is_empty() {
            return Err(register::messages::name_required("du quartier"));
        }
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let res = tx.query_row(
            sql::INSERT_QUARTIER,
            params![name, name_key(name), kind.code(), commune.as_str()],
            |r| r.get::<_, i64>(0),
        );
        match res {
            Ok(id) => {
                let q = Quartier {
                    id,
                    name: name.into(),
                    kind,
                    commune: commune.clone(),
                };
                record(&tx, actor, &Change::created("quartier", id, None, &q))?;
                tx.commit().map_err(be)?;
                Ok(q)
            }
            Err(e) if unique_violation(&e) => {
                Err(register::messages::quartier_exists(name, commune))
            }
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
            {
                Err(register::messages::unknown_commune(commune))
            }
            Err(e) => Err(be(e)),
        }
    }

    fn quartiers(&self) -> Result<Vec<Quartier>> {
        let c = self.conn()?;
        let mut st = c.prepare("SELECT id, name, kind, commune_code FROM quartiers ORDER BY commune_code, name_key").map_err(be)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (id, name, kind, commune) = r.map_err(be)?;
            Ok(Quartier {
                id,
                name,
                kind: decode(QuartierKind::from_code(&kind), "le type de quartier", &kind)?,
                commune: CommuneCode::parse(&commune).map_err(|e| StoreError::Backend(e.0))?,
            })
        })
        .collect()
    }

    fn begin_import(&self, actor: &Actor) -> Result<Box<dyn ImportSession + '_>> {
        let conn = self.conn()?;
        conn.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_staging (
                row_no INTEGER NOT NULL, landlord_id INTEGER NOT NULL, reference TEXT NOT NULL, label TEXT, commune_code TEXT NOT NULL,
                project TEXT, project_key TEXT, programme_id INTEGER, quartier TEXT, quartier_key TEXT,
                nature TEXT NOT NULL, site TEXT NOT NULL, product TEXT NOT NULL, financing TEXT NOT NULL, year INTEGER NOT NULL,
                dwellings INTEGER NOT NULL, stage TEXT, stage_date TEXT, cost_cents INTEGER, search_key TEXT NOT NULL,
                written_commune_code TEXT, surface_m2 INTEGER, dpe_before TEXT, dpe_after TEXT, cep_before INTEGER, cep_after INTEGER, rpls_ids TEXT);
             DELETE FROM import_staging;
             DROP INDEX IF EXISTS temp.import_staging_key;
             BEGIN IMMEDIATE;",
        )
        .map_err(be)?;
        Ok(Box::new(SqliteImport {
            conn,
            open: true,
            staged: 0,
            actor: actor.clone(),
            keys: Default::default(),
        }))
    }

    fn for_each_line(
        &self,
        f: &LineFilter,
        sink: &mut dyn FnMut(LineRecord) -> Result<()>,
    ) -> Result<u64> {
        // A text search matching few operations reads them by id (found in memory).
        let narrowed = self.text_search_in_memory(f)?;
        let f = narrowed.as_ref().unwrap_or(f);
        let c = self.conn()?;
        let mut params = Vec::new();
        let where_ = query::where_clause(f, DIALECT, &mut params);
        let order = query::line_order(f, DIALECT);
        params.push(SqlParam::Int(f.limit.map(|l| l as i64).unwrap_or(-1)));
        params.push(SqlParam::Int(f.offset.unwrap_or(0) as i64));
        let n = params.len();
        let sql = format!(
            "SELECT {} {} {where_} {order} LIMIT ?{} OFFSET ?{n}",
            query::LINE_COLUMNS,
            query::LINE_FROM,
            n - 1
        );
        let mut st = c.prepare(&sql).map_err(be)?;
        let mut rows = st
            .query(rusqlite::params_from_iter(values(params)))
            .map_err(be)?;
        let mut n = 0;
        while let Some(r) = rows.next().map_err(be)? {
            sink(line_from_row(r)?)?;
            n += 1;
        }
        Ok(n)
    }

    fn count_lines(&self, f: &LineFilter) -> Result<u64> {
        let c = self.conn()?;
        let mut params = Vec::new();
        let where_ = query::where_clause(f, DIALECT, &mut params);
        let sql = format!("SELECT count(*) {} {where_}", query::LINE_FROM);
        c.query_row(&sql, rusqlite::params_from_iter(values(params)), |r| {
            u(r, 0)
        })
        .map_err(be)
    }

    fn funding_rows(&self, f: &LineFilter) -> Result<Vec<logis_store::FundingRow>> {
        let c = self.conn()?;
        let mut params = Vec::new();
        let sql = query::funding_sql(f, DIALECT, &mut params);
        let mut st = c.prepare(&sql).map_err(be)?;
        let mut rows = st
            .query(rusqlite::params_from_iter(values(params)))
            .map_err(be)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(be)? {
            let kind: String = r.get(1).map_err(be)?;
            out.push(logis_store::FundingRow {
                operation_id: r.get(0).map_err(be)?,
                kind: decode(
                    FundingKind::from_code(&kind),
                    "le type de financement",
                    &kind,
                )?,
                source: r.get(2).map_err(be)?,
                label: r.get(3).map_err(be)?,
                amount_cents: r.get(4).map_err(be)?,
            });
        }
        Ok(out)
    }

    fn set_targets(&self, actor: &Actor, programme_id: i64, t: &Targets) -> Result<()> {
        let before = self.targets(programme_id)?;
        let mut c = self.conn()?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        let exists: bool = tx
            .query_row(sql::PROGRAMME_EXISTS, [programme_id], |r| r.get(0))
            .map_err(be)?;
        if !exists {
            return Err(register::messages::programme_not_found(programme_id));
        }
        tx.execute(
            sql::DELETE_PROGRAMME_TARGETS_BY_PROGRAMME_ID,
            [programme_id],
        )
        .map_err(be)?;
        tx.execute(
            sql::INSERT_PROGRAMME_TARGET,
            params![
                programme_id,
                t.scope.code(),
                t.total.map(|v| v as i64),
                t.first_year,
                t.last_year,
                t.social_percent,
                t.annual_band.map(|b| b.0 as i64),
                t.annual_band.map(|b| b.1 as i64)
            ],
        )
        .map_err(be)?;
        for sp in &t.splits {
            tx.execute(
                sql::INSERT_PROGRAMME_TARGET_SPLIT,
                params![
                    programme_id,
                    sp.dimension.code(),
                    sp.key,
                    sp.label,
                    sp.dwellings as i64
                ],
            )
            .map_err(|e| {
                if unique_violation(&e) {
                    register::messages::split_twice(&sp.label)
                } else {
                    be(e)
                }
            })?;
        }
        record(
            &tx,
            actor,
            &Change::replaced("objectifs", programme_id, None, before.as_ref(), t),
        )?;
        tx.commit().map_err(be)
    }

    fn programmes_with_targets(&self) -> Result<Vec<i64>> {
        let c = self.conn()?;
        let mut st = c.prepare(sql::PROGRAMMES_WITH_TARGETS).map_err(be)?;
        st.query_map([], |r| r.get(0))
            .map_err(be)?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(be)
    }

    fn targets(&self, programme_id: i64) -> Result<Option<Targets>> {
        let c = self.conn()?;
        let row = c
            .query_row(sql::TARGETS, [programme_id], |r| {
                Ok(logis_store::TargetRow {
                    scope: r.get(0)?,
                    total: r.get(1)?,
                    first_year: r.get(2)?,
                    last_year: r.get(3)?,
                    social_percent: r.get(4)?,
                    band_min: r.get(5)?,
                    band_max: r.get(6)?,
                })
            })
            .optional()
            .map_err(be)?;
        let Some(row) = row else { return Ok(None) };
        let mut st = c.prepare(sql::TARGET_SPLITS).map_err(be)?;
        let splits = st
            .query_map([programme_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(be)?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(be)?;
        logis_store::targets_from_rows(row, splits).map(Some)
    }

    fn register_in_memory(&self) -> Result<Option<std::sync::Arc<logis_store::cube::Cube>>> {
        self.cube()
    }

    fn data_stamp(&self) -> Result<(i64, i64)> {
        self.conn()?
            .query_row(logis_store::cube::sql::STAMP, [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(be)
    }

    fn aggregate_in_database(&self, f: &LineFilter, dims: &[Dim]) -> Result<Vec<AggRow>> {
        let c = self.conn()?;
        let mut params = Vec::new();
        let sql = query::aggregate_sql(f, dims, DIALECT, &mut params);
        let mut st = c.prepare(&sql).map_err(be)?;
        let mut rows = st
            .query(rusqlite::params_from_iter(values(params)))
            .map_err(be)?;
        let k = dims.len();
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(be)? {
            let mut keys = query::Keys::with_capacity(k);
            for i in 0..k {
                keys.push(r.get_ref(i).map_err(be)?.as_str().map_err(be)?.into());
            }
            out.push(AggRow {
                keys,
                dwellings: r.get(k).map_err(be)?,
                lines: r.get(k + 1).map_err(be)?,
                cost_cents: r.get(k + 2).map_err(be)?,
            });
        }
        Ok(out)
    }

    fn operation_id(&self, landlord_id: i64, reference: &str) -> Result<Option<i64>> {
        self.conn()?
            .query_row(sql::OPERATION_ID, params![landlord_id, reference], |r| {
                r.get(0)
            })
            .optional()
            .map_err(be)
    }

    fn set_financing_plan(
        &self,
        actor: &Actor,
        operation_id: i64,
        items: &[FundingItem],
    ) -> Result<()> {
        let before = self.financing_plan(operation_id)?;
        let mut c = self.conn()?;
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(be)?;
        let exists: bool = tx
            .query_row(sql::OPERATION_EXISTS, [operation_id], |r| r.get(0))
            .map_err(be)?;
        if !exists {
            return Err(register::messages::operation_not_found(operation_id));
        }
        tx.execute(sql::DELETE_FUNDING_ITEMS_BY_OPERATION_ID, [operation_id])
            .map_err(be)?;
        {
            let mut st = tx.prepare(sql::INSERT_FUNDING_ITEM).map_err(be)?;
            for (i, it) in items.iter().enumerate() {
                if it.amount_cents < 0 {
                    return Err(register::messages::negative_amount());
                }
                st.execute(params![
                    operation_id,
                    i as i64,
                    it.kind.code(),
                    it.source_id,
                    it.label,
                    it.amount_cents
                ])
                .map_err(|e| match &e {
                    rusqlite::Error::SqliteFailure(f, _)
                        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
                    {
                        register::messages::unknown_funder()
                    }
                    _ => be(e),
                })?;
            }
        }
        let before = (!before.is_empty()).then_some(before);
        record(
            &tx,
            actor,
            &Change::replaced(
                "plan_financement",
                operation_id,
                Some(operation_id),
                before.as_ref(),
                &items,
            ),
        )?;
        tx.commit().map_err(be)
    }

    fn financing_plan(&self, operation_id: i64) -> Result<Vec<FundingItem>> {
        let c = self.conn()?;
        let mut st = c.prepare(sql::FINANCING_PLAN).map_err(be)?;
        let rows = st
            .query_map([operation_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (kind, source_id, label, amount_cents) = r.map_err(be)?;
            Ok(FundingItem {
                kind: decode(
                    FundingKind::from_code(&kind),
                    "le type de financement",
                    &kind,
                )?,
                source_id,
                label,
                amount_cents,
            })
        })
        .collect()
    }

    fn stage_events(&self, line_id: i64) -> Result<Vec<(Stage, NaiveDate)>> {
        let c = self.conn()?;
        let mut st = c.prepare("SELECT stage, event_date FROM stage_events WHERE line_id = ?1 ORDER BY event_date, stage").map_err(be)?;
        let rows = st
            .query_map([line_id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(be)?;
        rows.map(|r| {
            let (s, d) = r.map_err(be)?;
            Ok((
                decode(Stage::from_code(&s), "le stade", &s)?,
                decode(parse_date(Some(d.clone()))?, "la date", &d)?,
            ))
        })
        .collect()
    }

    fn summary(&self) -> Result<Summary> {
        let cube = self.cube()?;
        let c = self.conn()?;
        let three = |sql: &str| -> Result<[u64; 3]> {
            c.query_row(sql, [], |r| Ok([u(r, 0)?, u(r, 1)?, u(r, 2)?]))
                .map_err(be)
        };
        let reference = three(query::SUMMARY_REFERENCE)?;
        let register = match cube {
            Some(cube) => cube.counts(),
            None => three(query::SUMMARY_REGISTER)?,
        };
        Ok(Summary {
            communes: reference[0],
            organisations: reference[1],
            programmes: reference[2],
            operations: register[0],
            lines: register[1],
            dwellings: register[2],
        })
    }

    fn operations(&self, ids: &[i64]) -> Result<Vec<OperationRecord>> {
        let c = self.conn()?;
        let mut st = c.prepare(&query::operation_heads_sql(ids)).map_err(be)?;
        let mut rows = st.query([]).map_err(be)?;
        let mut out = Vec::with_capacity(ids.len());
        while let Some(r) = rows.next().map_err(be)? {
            let commune: String = r.get(5).map_err(be)?;
            out.push(OperationRecord {
                id: r.get(0).map_err(be)?,
                landlord_id: r.get(1).map_err(be)?,
                landlord: r.get(2).map_err(be)?,
                reference: r.get(3).map_err(be)?,
                label: r.get(4).map_err(be)?,
                commune: CommuneCode::parse(&commune).map_err(|e| StoreError::Backend(e.0))?,
                commune_name: r.get(6).map_err(be)?,
                project: r.get(7).map_err(be)?,
                programme: r.get(8).map_err(be)?,
                quartier: r.get(9).map_err(be)?,
            });
        }
        Ok(out)
    }
}

impl SqliteStore {
    /// The register in memory at its current version (`None` when turned off).
    fn cube(&self) -> Result<Option<std::sync::Arc<logis_store::cube::Cube>>> {
        let Some(cache) = &self.cube else {
            return Ok(None);
        };
        let version: i64 = self
            .conn()?
            .query_row(logis_store::cube::sql::VERSION, [], |r| r.get(0))
            .map_err(be)?;
        cache.get(version, || self.read_cube()).map(Some)
    }

    /// The register in memory, read in one transaction (a consistent snapshot with its version).
    fn read_cube(&self) -> Result<logis_store::cube::Cube> {
        use logis_store::cube::{CubeBuilder, CubeOperation, sql as cube_sql};
        let geo = self.geography()?;
        let mut c = self.conn()?;
        let tx = c.transaction().map_err(be)?;
        let version: i64 = tx
            .query_row(cube_sql::VERSION, [], |r| r.get(0))
            .map_err(be)?;
        let mut b = CubeBuilder::new(version);
        let named = |q: &str, add: &mut dyn FnMut(i64, &str)| -> Result<()> {
            let mut st = tx.prepare(q).map_err(be)?;
            let mut rows = st.query([]).map_err(be)?;
            while let Some(r) = rows.next().map_err(be)? {
                add(
                    r.get(0).map_err(be)?,
                    r.get_ref(1).map_err(be)?.as_str().map_err(be)?,
                );
            }
            Ok(())
        };
        named(cube_sql::LANDLORDS, &mut |id, n| b.landlord(id, n))?;
        named(cube_sql::PROGRAMMES, &mut |id, n| b.programme(id, n))?;
        named(cube_sql::PROJECTS, &mut |id, n| b.project(id, n))?;
        named(cube_sql::QUARTIERS, &mut |id, n| b.quartier(id, n))?;
        {
            let mut st = tx.prepare(cube_sql::OPERATIONS).map_err(be)?;
            let mut rows = st.query([]).map_err(be)?;
            while let Some(r) = rows.next().map_err(be)? {
                let text =
                    |i: usize| -> Result<&str> { r.get_ref(i).map_err(be)?.as_str().map_err(be) };
                let label = r.get_ref(7).map_err(be)?.as_str_or_null().map_err(be)?;
                b.operation(CubeOperation {
                    id: r.get(0).map_err(be)?,
                    landlord_id: r.get(1).map_err(be)?,
                    programme_id: r.get(2).map_err(be)?,
                    project_id: r.get(3).map_err(be)?,
                    quartier_id: r.get(4).map_err(be)?,
                    commune_code: text(5)?,
                    reference: text(6)?,
                    label,
                    search_key: text(8)?,
                });
            }
            // The lines in two halves by rowid, the second read at the same time on a second
            // connection when the pool has one free and it sees the same version (the register
            // unchanged in between); else after the first, in this transaction.
            let last: i64 = tx
                .query_row(
                    "SELECT coalesce(max(rowid), 0) FROM operation_lines",
                    [],
                    |r| r.get(0),
                )
                .map_err(be)?;
            let halves = usize::try_from(last).unwrap_or(0) >= logis_store::cube::shared_from();
            let middle = if halves { last / 2 } else { last };
            let second = if halves { self.pool.try_get() } else { None };
            let other = second.map(|mut conn| {
                move |part: &mut logis_store::cube::CubeLines<'_>| -> Result<bool> {
                    let tx = conn.transaction().map_err(be)?;
                    let seen: i64 = tx
                        .query_row(cube_sql::VERSION, [], |r| r.get(0))
                        .map_err(be)?;
                    if seen != version {
                        return Ok(false);
                    }
                    read_lines(&tx, "rowid > ?1", middle, part)?;
                    Ok(true)
                }
            });
            b.read_lines(halves, other, |part, second| {
                let cond = if second { "rowid > ?1" } else { "rowid <= ?1" };
                read_lines(&tx, cond, middle, part)
            })?;
        }
        tx.commit().map_err(be)?;
        b.finish(&geo).map_err(be)
    }
}

/// The lines of the cube's query (`logis_store::cube::sql::LINES`) whose rowid meets `cond`
/// (`rowid <= ?1` or `rowid > ?1`, `?1` being `at`), given to `part`.
fn read_lines(
    tx: &rusqlite::Transaction<'_>,
    cond: &str,
    at: i64,
    part: &mut logis_store::cube::CubeLines<'_>,
) -> Result<()> {
    use logis_store::cube::{CubeLine, sql as cube_sql};
    let mut st = tx
        .prepare(&format!("{} WHERE {cond}", cube_sql::LINES))
        .map_err(be)?;
    let mut rows = st.query([at]).map_err(be)?;
    while let Some(r) = rows.next().map_err(be)? {
        let text = |i: usize| -> Result<&str> { r.get_ref(i).map_err(be)?.as_str().map_err(be) };
        part.line(CubeLine {
            operation_id: r.get(0).map_err(be)?,
            year: r.get(1).map_err(be)?,
            nature: text(2)?,
            site: text(3)?,
            product: text(4)?,
            financing: text(5)?,
            stage: r.get_ref(6).map_err(be)?.as_str_or_null().map_err(be)?,
            dwellings: r.get(7).map_err(be)?,
            cost_cents: r.get(8).map_err(be)?,
        })
        .map_err(be)?;
    }
    Ok(())
}
