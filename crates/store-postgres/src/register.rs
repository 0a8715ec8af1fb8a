mod import;

use super::*;
use import::PgImport;
use logis_store::register;
use logis_store::register::sql;

fn line_from_row(r: &Row) -> Result<LineRecord> {
    let nature: &str = r.get(11);
    let site: &str = r.get(12);
    let product: &str = r.get(13);
    let financing: &str = r.get(14);
    let stage: Option<&str> = r.get(17);
    let dwellings: i64 = r.get(15);
    let year: i64 = r.get(16);
    Ok(LineRecord {
        line_id: r.get(0),
        operation_id: r.get(1),
        landlord: r.get(2),
        landlord_siren: r.get(3),
        reference: r.get(4),
        commune: code(r.get(5))?,
        commune_name: r.get(6),
        project: r.get(7),
        programme: r.get(8),
        quartier: r.get(9),
        label: r.get(10),
        nature: decode(Nature::from_code(nature), "la nature", nature)?,
        site: opt_dim(site, Site::from_code, "le site")?,
        product: opt_dim(product, Product::from_code, "le produit")?,
        financing: opt_dim(financing, RehabFinancing::from_code, "le financement")?,
        dwellings: u32::try_from(dwellings).map_err(be)?,
        year: i32::try_from(year).map_err(be)?,
        stage: stage
            .map(|s| decode(Stage::from_code(s), "le stade", s))
            .transpose()?,
        stage_date: r.get(18),
        cost_cents: r.get(19),
        written_commune: r.get::<_, Option<&str>>(20).map(code).transpose()?,
        written_commune_name: r.get::<_, Option<String>>(21).filter(|n| !n.is_empty()),
        surface_m2: r
            .get::<_, Option<i64>>(22)
            .map(u32::try_from)
            .transpose()
            .map_err(be)?,
        energy: logis_domain::register::line::EnergyLabels {
            before: logis_store::register::stored_letter(r.get(23))?,
            after: logis_store::register::stored_letter(r.get(24))?,
            cep_before: r
                .get::<_, Option<i64>>(25)
                .map(u32::try_from)
                .transpose()
                .map_err(be)?,
            cep_after: r
                .get::<_, Option<i64>>(26)
                .map(u32::try_from)
                .transpose()
                .map_err(be)?,
        },
        rpls_ids: r.get(27),
    })
}

impl RegisterStore for PostgresStore {
    fn add_organisation(&self, actor: &Actor, org: &NewOrganisation) -> Result<Organisation> {
        let name = org.name.trim();
        if name.is_empty() || name_key(name).is_empty() {
            return Err(register::messages::name_required("de l'organisation"));
        }
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let res = tx.query_one(
            sql::INSERT_ORGANISATION,
            &[
                &org.kind.code(),
                &name,
                &name_key(name),
                &org.siren.as_ref().map(Siren::as_str),
                &org.commune.as_ref().map(CommuneCode::as_str),
            ],
        );
        match res {
            Ok(r) => {
                let o = Organisation {
                    id: r.get(0),
                    kind: org.kind,
                    name: name.to_string(),
                    siren: org.siren.clone(),
                    commune: org.commune.clone(),
                };
                record(
                    &mut tx,
                    actor,
                    &Change::created("organisation", o.id, None, &o),
                )?;
                tx.commit().map_err(pg)?;
                Ok(o)
            }
            Err(e) if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) => {
                Err(register::messages::unknown_commune_of_organisation())
            }
            Err(e) if is_code(&e, &SqlState::UNIQUE_VIOLATION) => Err(
                register::messages::organisation_exists(org.kind.label(), name),
            ),
            Err(e) => Err(pg(e)),
        }
    }

    fn organisations(&self) -> Result<Vec<Organisation>> {
        let rows = self.conn()?.query("SELECT id, kind, name, siren, commune_code FROM organisations ORDER BY kind COLLATE \"C\", name_key COLLATE \"C\"", &[]).map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(1);
                let s: Option<&str> = r.get(3);
                let cm: Option<&str> = r.get(4);
                Ok(Organisation {
                    id: r.get(0),
                    kind: decode(OrgKind::from_code(kind), "le type d'organisation", kind)?,
                    name: r.get(2),
                    siren: s.map(siren).transpose()?,
                    commune: cm.map(code).transpose()?,
                })
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
        let start = p.start_year.map(|y| i64::from(y.get()));
        let end = p.end_year.map(|y| i64::from(y.get()));
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let res = tx.query_one(
            sql::INSERT_PROGRAMME,
            &[
                &name,
                &name_key(name),
                &p.description,
                &start,
                &end,
                &p.epci.as_ref().map(Siren::as_str),
            ],
        );
        match res {
            Ok(r) => {
                let prog = Programme {
                    id: r.get(0),
                    name: name.into(),
                    description: p.description.clone(),
                    start_year: p.start_year,
                    end_year: p.end_year,
                    epci: p.epci.clone(),
                };
                record(
                    &mut tx,
                    actor,
                    &Change::created("programme", prog.id, None, &prog),
                )?;
                tx.commit().map_err(pg)?;
                Ok(prog)
            }
            Err(e) if is_code(&e, &SqlState::UNIQUE_VIOLATION) => {
                Err(register::messages::programme_exists(name))
            }
            Err(e) if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) => {
                Err(StoreError::Invalid("EPCI inconnu pour ce programme".into()))
            }
            Err(e) => Err(pg(e)),
        }
    }

    fn programmes(&self) -> Result<Vec<Programme>> {
        let rows = self
            .conn()?
            .query("SELECT id, name, description, start_year, end_year, epci_siren FROM programmes ORDER BY name_key COLLATE \"C\"", &[])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let epci: Option<&str> = r.get(5);
                Ok(Programme {
                    id: r.get(0),
                    name: r.get(1),
                    description: r.get(2),
                    start_year: opt_year(r.get(3))?,
                    end_year: opt_year(r.get(4))?,
                    epci: epci.and_then(|s| Siren::parse(s).ok()),
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
        let mut tx = c.transaction().map_err(pg)?;
        let res = tx.query_one(
            sql::INSERT_PROJECT,
            &[&name, &name_key(name), &kind.code(), &programme_id],
        );
        match res {
            Ok(r) => {
                let pr = Project {
                    id: r.get(0),
                    name: name.into(),
                    kind,
                    programme_id,
                };
                record(&mut tx, actor, &Change::created("projet", pr.id, None, &pr))?;
                tx.commit().map_err(pg)?;
                Ok(pr)
            }
            Err(e) if is_code(&e, &SqlState::UNIQUE_VIOLATION) => {
                Err(register::messages::project_exists(name))
            }
            Err(e) if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) => Err(StoreError::Invalid(
                "programme inconnu pour ce projet".into(),
            )),
            Err(e) => Err(pg(e)),
        }
    }

    fn projects(&self) -> Result<Vec<Project>> {
        let rows = self
            .conn()?
            .query(
                "SELECT id, name, kind, programme_id FROM projects ORDER BY name_key COLLATE \"C\"",
                &[],
            )
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(2);
                Ok(Project {
                    id: r.get(0),
                    name: r.get(1),
                    kind: decode(ProjectKind::from_code(kind), "le type de projet", kind)?,
                    programme_id: r.get(3),
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
        let mut tx = c.transaction().map_err(pg)?;
        let res = tx.query_one(
            sql::INSERT_QUARTIER,
            &[&name, &name_key(name), &kind.code(), &commune.as_str()],
        );
        match res {
            Ok(r) => {
                let q = Quartier {
                    id: r.get(0),
                    name: name.into(),
                    kind,
                    commune: commune.clone(),
                };
                record(&mut tx, actor, &Change::created("quartier", q.id, None, &q))?;
                tx.commit().map_err(pg)?;
                Ok(q)
            }
            Err(e) if is_code(&e, &SqlState::UNIQUE_VIOLATION) => {
                Err(register::messages::quartier_exists(name, commune))
            }
            Err(e) if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) => {
                Err(register::messages::unknown_commune(commune))
            }
            Err(e) => Err(pg(e)),
        }
    }

    fn quartiers(&self) -> Result<Vec<Quartier>> {
        let rows = self
            .conn()?
            .query("SELECT id, name, kind, commune_code FROM quartiers ORDER BY commune_code COLLATE \"C\", name_key COLLATE \"C\"", &[])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(2);
                Ok(Quartier {
                    id: r.get(0),
                    name: r.get(1),
                    kind: decode(QuartierKind::from_code(kind), "le type de quartier", kind)?,
                    commune: code(r.get(3))?,
                })
            })
            .collect()
    }

    fn begin_import(&self, actor: &Actor) -> Result<Box<dyn ImportSession + '_>> {
        let mut conn = self.conn()?;
        conn.batch_execute(
            "BEGIN;
             CREATE TEMP TABLE IF NOT EXISTS import_staging (
                row_no BIGINT NOT NULL, landlord_id BIGINT NOT NULL, reference TEXT NOT NULL, label TEXT,
                commune_code TEXT NOT NULL, project TEXT, project_key TEXT, programme_id BIGINT,
                quartier TEXT, quartier_key TEXT, nature TEXT NOT NULL, site TEXT NOT NULL, product TEXT NOT NULL,
                financing TEXT NOT NULL, year BIGINT NOT NULL, dwellings BIGINT NOT NULL, stage TEXT, stage_date DATE, cost_cents BIGINT,
                search_key TEXT NOT NULL, written_commune_code TEXT, surface_m2 BIGINT,
                dpe_before TEXT, dpe_after TEXT, cep_before BIGINT, cep_after BIGINT, rpls_ids TEXT);
             TRUNCATE import_staging;",
        )
        .map_err(pg)?;
        Ok(Box::new(PgImport {
            conn,
            open: true,
            staged: 0,
            buf: Vec::with_capacity(COPY_BUFFER),
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
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let mut params = Vec::new();
        let where_ = query::where_clause(f, DIALECT, &mut params);
        let order = query::line_order(f, DIALECT);
        let mut limit = String::new();
        if let Some(l) = f.limit {
            params.push(SqlParam::Int(l as i64));
            limit = format!(" LIMIT ${}", params.len());
        }
        params.push(SqlParam::Int(f.offset.unwrap_or(0) as i64));
        let sql = format!(
            "SELECT {} {} {where_} {order}{limit} OFFSET ${}",
            query::LINE_COLUMNS,
            query::LINE_FROM,
            params.len()
        );
        let owned = pg_params(params);
        let params = refs(&owned);
        let n = each_row(&mut tx, &sql, &params, 5000, &mut |r| {
            sink(line_from_row(r)?)
        })?;
        tx.commit().map_err(pg)?;
        Ok(n)
    }

    fn count_lines(&self, f: &LineFilter) -> Result<u64> {
        let mut params = Vec::new();
        let where_ = query::where_clause(f, DIALECT, &mut params);
        let sql = format!("SELECT count(*) {} {where_}", query::LINE_FROM);
        let owned = pg_params(params);
        let r = self
            .conn()?
            .query_one(sql.as_str(), &refs(&owned))
            .map_err(pg)?;
        Ok(count(r.get(0)))
    }

    fn funding_rows(&self, f: &LineFilter) -> Result<Vec<logis_store::FundingRow>> {
        let mut params = Vec::new();
        let sql = query::funding_sql(f, DIALECT, &mut params);
        let owned = pg_params(params);
        let rows = self
            .conn()?
            .query(sql.as_str(), &refs(&owned))
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(1);
                Ok(logis_store::FundingRow {
                    operation_id: r.get(0),
                    kind: decode(FundingKind::from_code(kind), "le type de financement", kind)?,
                    source: r.get(2),
                    label: r.get(3),
                    amount_cents: r.get(4),
                })
            })
            .collect()
    }

    fn set_targets(&self, actor: &Actor, programme_id: i64, t: &Targets) -> Result<()> {
        let before = self.targets(programme_id)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let exists: bool = tx
            .query_one(sql::PROGRAMME_EXISTS, &[&programme_id])
            .map_err(pg)?
            .get(0);
        if !exists {
            return Err(register::messages::programme_not_found(programme_id));
        }
        tx.execute(
            sql::DELETE_PROGRAMME_TARGETS_BY_PROGRAMME_ID,
            &[&programme_id],
        )
        .map_err(pg)?;
        tx.execute(
            sql::INSERT_PROGRAMME_TARGET,
            &[
                &programme_id,
                &t.scope.code(),
                &t.total.map(|v| v as i64),
                &i64::from(t.first_year),
                &i64::from(t.last_year),
                &t.social_percent.map(i64::from),
                &t.annual_band.map(|b| b.0 as i64),
                &t.annual_band.map(|b| b.1 as i64),
            ],
        )
        .map_err(pg)?;
        for sp in &t.splits {
            tx.execute(
                sql::INSERT_PROGRAMME_TARGET_SPLIT,
                &[
                    &programme_id,
                    &sp.dimension.code(),
                    &sp.key,
                    &sp.label,
                    &(sp.dwellings as i64),
                ],
            )
            .map_err(|e| {
                if is_code(&e, &SqlState::UNIQUE_VIOLATION) {
                    register::messages::split_twice(&sp.label)
                } else {
                    pg(e)
                }
            })?;
        }
        record(
            &mut tx,
            actor,
            &Change::replaced("objectifs", programme_id, None, before.as_ref(), t),
        )?;
        tx.commit().map_err(pg)
    }

    fn programmes_with_targets(&self) -> Result<Vec<i64>> {
        let rows = self
            .conn()?
            .query(sql::PROGRAMMES_WITH_TARGETS, &[])
            .map_err(pg)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn targets(&self, programme_id: i64) -> Result<Option<Targets>> {
        let mut c = self.conn()?;
        let row = c.query_opt(sql::TARGETS, &[&programme_id]).map_err(pg)?;
        let Some(r) = row else { return Ok(None) };
        let row = logis_store::TargetRow {
            scope: r.get(0),
            total: r.get(1),
            first_year: r.get(2),
            last_year: r.get(3),
            social_percent: r.get(4),
            band_min: r.get(5),
            band_max: r.get(6),
        };
        let splits = c
            .query(sql::TARGET_SPLITS, &[&programme_id])
            .map_err(pg)?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect();
        logis_store::targets_from_rows(row, splits).map(Some)
    }

    fn register_in_memory(&self) -> Result<Option<std::sync::Arc<logis_store::cube::Cube>>> {
        self.cube()
    }

    fn data_stamp(&self) -> Result<(i64, i64)> {
        let row = self
            .conn()?
            .query_one(logis_store::cube::sql::STAMP, &[])
            .map_err(pg)?;
        Ok((row.get(0), row.get(1)))
    }

    fn aggregate_in_database(&self, f: &LineFilter, dims: &[Dim]) -> Result<Vec<AggRow>> {
        let mut params = Vec::new();
        let sql = query::aggregate_sql(f, dims, DIALECT, &mut params);
        let owned = pg_params(params);
        let rows = self
            .conn()?
            .query(sql.as_str(), &refs(&owned))
            .map_err(pg)?;
        let k = dims.len();
        Ok(rows
            .iter()
            .map(|r| AggRow {
                keys: (0..k).map(|i| r.get::<_, &str>(i).into()).collect(),
                dwellings: r.get(k),
                lines: r.get(k + 1),
                cost_cents: r.get(k + 2),
            })
            .collect())
    }

    fn operation_id(&self, landlord_id: i64, reference: &str) -> Result<Option<i64>> {
        Ok(self
            .conn()?
            .query_opt(sql::OPERATION_ID, &[&landlord_id, &reference])
            .map_err(pg)?
            .map(|r| r.get(0)))
    }

    fn set_financing_plan(
        &self,
        actor: &Actor,
        operation_id: i64,
        items: &[FundingItem],
    ) -> Result<()> {
        let before = self.financing_plan(operation_id)?;
        let mut c = self.conn()?;
        let mut tx = c.transaction().map_err(pg)?;
        let exists: bool = tx
            .query_one(sql::OPERATION_EXISTS, &[&operation_id])
            .map_err(pg)?
            .get(0);
        if !exists {
            return Err(register::messages::operation_not_found(operation_id));
        }
        tx.execute(sql::DELETE_FUNDING_ITEMS_BY_OPERATION_ID, &[&operation_id])
            .map_err(pg)?;
        let st = tx.prepare(sql::INSERT_FUNDING_ITEM).map_err(pg)?;
        for (i, it) in items.iter().enumerate() {
            if it.amount_cents < 0 {
                return Err(register::messages::negative_amount());
            }
            tx.execute(
                &st,
                &[
                    &operation_id,
                    &(i as i64),
                    &it.kind.code(),
                    &it.source_id,
                    &it.label,
                    &it.amount_cents,
                ],
            )
            .map_err(|e| {
                if is_code(&e, &SqlState::FOREIGN_KEY_VIOLATION) {
                    register::messages::unknown_funder()
                } else {
                    pg(e)
                }
            })?;
        }
        let before = (!before.is_empty()).then_some(before);
        record(
            &mut tx,
            actor,
            &Change::replaced(
                "plan_financement",
                operation_id,
                Some(operation_id),
                before.as_ref(),
                &items,
            ),
        )?;
        tx.commit().map_err(pg)
    }

    fn financing_plan(&self, operation_id: i64) -> Result<Vec<FundingItem>> {
        let rows = self
            .conn()?
            .query(sql::FINANCING_PLAN, &[&operation_id])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let kind: &str = r.get(0);
                Ok(FundingItem {
                    kind: decode(FundingKind::from_code(kind), "le type de financement", kind)?,
                    source_id: r.get(1),
                    label: r.get(2),
                    amount_cents: r.get(3),
                })
            })
            .collect()
    }

    fn stage_events(&self, line_id: i64) -> Result<Vec<(Stage, NaiveDate)>> {
        let rows = self
            .conn()?
            .query("SELECT stage, event_date FROM stage_events WHERE line_id = $1 ORDER BY event_date, stage COLLATE \"C\"", &[&line_id])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let s: &str = r.get(0);
                Ok((decode(Stage::from_code(s), "le stade", s)?, r.get(1)))
            })
            .collect()
    }

    fn summary(&self) -> Result<Summary> {
        let cube = self.cube()?;
        let mut c = self.conn()?;
        let r = c.query_one(query::SUMMARY_REFERENCE, &[]).map_err(pg)?;
        let register = match cube {
            Some(cube) => cube.counts(),
            None => {
                let t = c.query_one(query::SUMMARY_REGISTER, &[]).map_err(pg)?;
                [count(t.get(0)), count(t.get(1)), count(t.get(2))]
            }
        };
        Ok(Summary {
            communes: count(r.get(0)),
            organisations: count(r.get(1)),
            programmes: count(r.get(2)),
            operations: register[0],
            lines: register[1],
            dwellings: register[2],
        })
    }

    fn operations(&self, ids: &[i64]) -> Result<Vec<OperationRecord>> {
        let rows = self
            .conn()?
            .query(query::operation_heads_sql(ids).as_str(), &[])
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                Ok(OperationRecord {
                    id: r.get(0),
                    landlord_id: r.get(1),
                    landlord: r.get(2),
                    reference: r.get(3),
                    label: r.get(4),
                    commune: code(r.get(5))?,
                    commune_name: r.get(6),
                    project: r.get(7),
                    programme: r.get(8),
                    quartier: r.get(9),
                })
            })
            .collect()
    }
}

impl PostgresStore {
    /// The register in memory at its current version (`None` when turned off).
    fn cube(&self) -> Result<Option<std::sync::Arc<logis_store::cube::Cube>>> {
        let Some(cache) = &self.cube else {
            return Ok(None);
        };
        let version: i64 = self
            .conn()?
            .query_one(logis_store::cube::sql::VERSION, &[])
            .map_err(pg)?
            .get(0);
        cache.get(version, || self.read_cube()).map(Some)
    }

    /// The register in memory, read in one repeatable-read transaction (a consistent snapshot
    /// with its version), operations and lines fetched in batches.
    fn read_cube(&self) -> Result<logis_store::cube::Cube> {
        use logis_store::cube::{CubeBuilder, CubeOperation, sql as cube_sql};
        let geo = self.geography()?;
        let mut c = self.conn()?;
        let mut tx = snapshot_transaction(&mut c)?;
        let version: i64 = tx.query_one(cube_sql::VERSION, &[]).map_err(pg)?.get(0);
        let mut b = CubeBuilder::new(version);
        for r in tx.query(cube_sql::LANDLORDS, &[]).map_err(pg)? {
            b.landlord(r.get(0), r.get(1));
        }
        for r in tx.query(cube_sql::PROGRAMMES, &[]).map_err(pg)? {
            b.programme(r.get(0), r.get(1));
        }
        for r in tx.query(cube_sql::PROJECTS, &[]).map_err(pg)? {
            b.project(r.get(0), r.get(1));
        }
        for r in tx.query(cube_sql::QUARTIERS, &[]).map_err(pg)? {
            b.quartier(r.get(0), r.get(1));
        }
        each_row(&mut tx, cube_sql::OPERATIONS, &[], 20_000, &mut |r| {
            b.operation(CubeOperation {
                id: r.get(0),
                landlord_id: r.get(1),
                programme_id: r.get(2),
                project_id: r.get(3),
                quartier_id: r.get(4),
                commune_code: r.get(5),
                reference: r.get(6),
                label: r.get(7),
                search_key: r.get(8),
            });
            Ok(())
        })?;
        // The lines in two halves by id, the second read at the same time on a second
        // connection that takes this transaction's snapshot (`pg_export_snapshot`), when the
        // pool gives one soon; else after the first, in this transaction.
        let last: i64 = tx.query_one(sql::LARGEST_LINE_ID, &[]).map_err(pg)?.get(0);
        let halves = usize::try_from(last).unwrap_or(0) >= logis_store::cube::shared_from();
        let middle = if halves { last / 2 } else { last };
        let second = if halves {
            let snapshot: String = tx
                .query_one("SELECT pg_export_snapshot()", &[])
                .map_err(pg)?
                .get(0);
            self.pool
                .get_timeout(std::time::Duration::from_millis(200))
                .ok()
                .map(|conn| (conn, snapshot))
        } else {
            None
        };
        let other = second.map(|(mut conn, snapshot)| {
            move |part: &mut logis_store::cube::CubeLines<'_>| -> Result<bool> {
                let mut tx = snapshot_transaction(&mut conn)?;
                tx.batch_execute(&format!(
                    "SET TRANSACTION SNAPSHOT '{}'",
                    snapshot.replace('\'', "''")
                ))
                .map_err(pg)?;
                read_lines(&mut tx, "id > $1", middle, part)?;
                Ok(true)
            }
        });
        b.read_lines(halves, other, |part, second| {
            let cond = if second { "id > $1" } else { "id <= $1" };
            read_lines(&mut tx, cond, middle, part)
        })?;
        tx.commit().map_err(pg)?;
        b.finish(&geo).map_err(be)
    }
}

/// The lines of the cube's query (`logis_store::cube::sql::LINES`) whose id meets `cond`
/// (`id <= $1` or `id > $1`, `$1` being `at`), given to `part`.
fn read_lines(
    tx: &mut postgres::Transaction<'_>,
    cond: &str,
    at: i64,
    part: &mut logis_store::cube::CubeLines<'_>,
) -> Result<()> {
    use logis_store::cube::{CubeLine, sql as cube_sql};
    let query = format!("{} WHERE {cond}", cube_sql::LINES);
    each_row(tx, &query, &[&at], 20_000, &mut |r| {
        part.line(CubeLine {
            operation_id: r.get(0),
            year: r.get(1),
            nature: r.get(2),
            site: r.get(3),
            product: r.get(4),
            financing: r.get(5),
            stage: r.get(6),
            dwellings: r.get(7),
            cost_cents: r.get(8),
        })
        .map_err(be)
    })?;
    Ok(())
}

/// A read-only transaction on one snapshot of the database (repeatable read).
fn snapshot_transaction(c: &mut Conn) -> Result<postgres::Transaction<'_>> {
    c.build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(pg)
}
