use super::*;
use logis_store::register::sql;

/// An import transaction on one pooled connection.
pub(super) struct PgImport {
    pub(super) conn: Conn,
    pub(super) open: bool,
    pub(super) staged: u64,
    pub(super) buf: Vec<u8>,
    pub(super) actor: Actor,
    pub(super) keys: logis_store::register::StagingKeys,
}

fn audit_sql(template: &str) -> String {
    logis_store::register::import_audit::sql(
        template,
        |n| match n {
            1 | 2 | 4 => format!("CAST(${n} AS BIGINT)"),
            _ => format!("CAST(${n} AS TEXT)"),
        },
        "json_build_object",
        "IS DISTINCT FROM",
        "::text",
        "row_no",
    )
}

impl Drop for PgImport {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}

/// The operations' upsert: a file's operation already held takes the file's values where it gives
/// them (left out for an import of new operations only: plain inserts).
const OPERATIONS_CONFLICT: &str = "ON CONFLICT (landlord_id, reference) DO UPDATE SET
                label = coalesce(excluded.label, operations.label), commune_code = excluded.commune_code,
                project_id = coalesce(excluded.project_id, operations.project_id),
                programme_id = coalesce(excluded.programme_id, operations.programme_id),
                quartier_id = coalesce(excluded.quartier_id, operations.quartier_id),
                search_key = CASE WHEN excluded.label IS NULL THEN operations.search_key ELSE excluded.search_key END,
                written_commune_code = excluded.written_commune_code
             WHERE operations.label IS DISTINCT FROM coalesce(excluded.label, operations.label)
                OR operations.commune_code IS DISTINCT FROM excluded.commune_code
                OR operations.project_id IS DISTINCT FROM coalesce(excluded.project_id, operations.project_id)
                OR operations.programme_id IS DISTINCT FROM coalesce(excluded.programme_id, operations.programme_id)
                OR operations.quartier_id IS DISTINCT FROM coalesce(excluded.quartier_id, operations.quartier_id)
                OR operations.written_commune_code IS DISTINCT FROM excluded.written_commune_code";

/// The lines' upsert, likewise.
const LINES_CONFLICT: &str = "ON CONFLICT (operation_id, nature, site, product, financing, year) DO UPDATE SET
                dwellings = excluded.dwellings, stage = coalesce(excluded.stage, operation_lines.stage),
                stage_date = coalesce(excluded.stage_date, operation_lines.stage_date),
                cost_cents = coalesce(excluded.cost_cents, operation_lines.cost_cents),
                surface_m2 = coalesce(excluded.surface_m2, operation_lines.surface_m2),
                dpe_before = coalesce(excluded.dpe_before, operation_lines.dpe_before),
                dpe_after = coalesce(excluded.dpe_after, operation_lines.dpe_after),
                cep_before = coalesce(excluded.cep_before, operation_lines.cep_before),
                cep_after = coalesce(excluded.cep_after, operation_lines.cep_after),
                rpls_ids = coalesce(excluded.rpls_ids, operation_lines.rpls_ids)
             WHERE operation_lines.dwellings <> excluded.dwellings
                OR operation_lines.stage IS DISTINCT FROM coalesce(excluded.stage, operation_lines.stage)
                OR operation_lines.stage_date IS DISTINCT FROM coalesce(excluded.stage_date, operation_lines.stage_date)
                OR operation_lines.cost_cents IS DISTINCT FROM coalesce(excluded.cost_cents, operation_lines.cost_cents)
                OR operation_lines.surface_m2 IS DISTINCT FROM coalesce(excluded.surface_m2, operation_lines.surface_m2)
                OR operation_lines.dpe_before IS DISTINCT FROM coalesce(excluded.dpe_before, operation_lines.dpe_before)
                OR operation_lines.dpe_after IS DISTINCT FROM coalesce(excluded.dpe_after, operation_lines.dpe_after)
                OR operation_lines.cep_before IS DISTINCT FROM coalesce(excluded.cep_before, operation_lines.cep_before)
                OR operation_lines.cep_after IS DISTINCT FROM coalesce(excluded.cep_after, operation_lines.cep_after)
                OR operation_lines.rpls_ids IS DISTINCT FROM coalesce(excluded.rpls_ids, operation_lines.rpls_ids)";

const STAGING_COPY: &str = "COPY import_staging FROM STDIN";

/// The pre-aggregated sums of an import whose operations are all new, from its staged lines
/// (they are the operations' lines) given their operation's programme, project and quartier:
/// one grouping added to `line_totals`, without reading the lines back.
const NEW_OPERATIONS_TOTALS: &str = "INSERT INTO line_totals (programme_id, landlord_id, project_id, quartier_id, commune_code, year, nature, site, product, financing, stage, dwellings, lines, cost_cents)
SELECT coalesce(i.programme_id, 0), i.landlord_id, coalesce(i.project_id, 0), coalesce(i.quartier_id, 0), i.commune_code, s.year, s.nature, s.site,
       s.product, s.financing, coalesce(s.stage, ''), CAST(sum(s.dwellings) AS BIGINT), count(*), CAST(coalesce(sum(s.cost_cents), 0) AS BIGINT)
FROM import_staging s JOIN import_ops i ON i.landlord_id = s.landlord_id AND i.reference = s.reference
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
ON CONFLICT (programme_id, landlord_id, project_id, quartier_id, commune_code, year, nature, site, product, financing, stage)
DO UPDATE SET dwellings = line_totals.dwellings + excluded.dwellings, lines = line_totals.lines + excluded.lines,
    cost_cents = line_totals.cost_cents + excluded.cost_cents";

/// Groups of rows found by a checking query: (row numbers "3,7,9", detail).
fn row_groups(c: &mut Client, sql: &str) -> Result<Vec<(Vec<u64>, String)>> {
    let rows = c.query(sql, &[]).map_err(pg)?;
    Ok(rows
        .iter()
        .map(|r| {
            let list: &str = r.get(0);
            let mut nums: Vec<u64> = list
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect();
            nums.sort_unstable();
            (nums, r.get(1))
        })
        .collect())
}

impl PgImport {
    fn flush(&mut self) -> Result<()> {
        copy_send(&mut *self.conn, STAGING_COPY, &mut self.buf)
    }

    fn check(&mut self) -> Result<Vec<RowProblem>> {
        let dups = row_groups(
            &mut self.conn,
            "SELECT string_agg(row_no::text, ','), reference FROM import_staging
             GROUP BY landlord_id, reference, nature, site, product, financing, year HAVING count(*) > 1 LIMIT 10000",
        )?;
        let conflicts = row_groups(
            &mut self.conn,
            // (Two values or more of a column in a group: its least and greatest differ — a
            // count of distinct values would sort each group.)
            "SELECT string_agg(row_no::text, ','),
                    reference || chr(31) || coalesce(min(commune_code COLLATE \"C\") < max(commune_code COLLATE \"C\"), false)::int
                    || coalesce(min(label COLLATE \"C\") < max(label COLLATE \"C\"), false)::int
                    || coalesce(min(project_key COLLATE \"C\") < max(project_key COLLATE \"C\"), false)::int
                    || coalesce(min(programme_id) < max(programme_id), false)::int
                    || coalesce(min(quartier_key COLLATE \"C\") < max(quartier_key COLLATE \"C\"), false)::int
             FROM import_staging GROUP BY landlord_id, reference
             HAVING min(commune_code COLLATE \"C\") < max(commune_code COLLATE \"C\") OR min(label COLLATE \"C\") < max(label COLLATE \"C\")
                 OR min(project_key COLLATE \"C\") < max(project_key COLLATE \"C\") OR min(programme_id) < max(programme_id)
                 OR min(quartier_key COLLATE \"C\") < max(quartier_key COLLATE \"C\") LIMIT 10000",
        )?;
        Ok(logis_store::problems::from_groups(dups, conflicts))
    }

    fn merge(&mut self) -> Result<ImportStats> {
        let staged = self.staged;
        let c: &mut Client = &mut self.conn;
        let mut stats = ImportStats {
            lines_read: staged,
            ..Default::default()
        };
        let exec = |c: &mut Client, sql: &str| -> Result<u64> { c.execute(sql, &[]).map_err(pg) };
        let mut steps = logis_store::steps::Steps::new();
        let one = |c: &mut Client, sql: &str| -> Result<u64> {
            Ok(count(c.query_one(sql, &[]).map_err(pg)?.get(0)))
        };

        c.batch_execute("ANALYZE import_staging").map_err(pg)?;
        stats.projects_created = exec(
            c,
            "INSERT INTO projects (name, name_key, kind) SELECT min(project COLLATE \"C\"), project_key, 'autre' FROM import_staging
             WHERE project_key IS NOT NULL GROUP BY project_key ORDER BY project_key ON CONFLICT (name_key) DO NOTHING",
        )?;
        stats.quartiers_created = exec(
            c,
            "INSERT INTO quartiers (name, name_key, kind, commune_code) SELECT min(quartier COLLATE \"C\"), quartier_key, 'autre', commune_code FROM import_staging
             WHERE quartier_key IS NOT NULL GROUP BY commune_code, quartier_key ORDER BY commune_code, quartier_key ON CONFLICT (commune_code, name_key) DO NOTHING",
        )?;
        c.batch_execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_ops (landlord_id BIGINT NOT NULL, reference TEXT NOT NULL, label TEXT, commune_code TEXT NOT NULL,
                project_id BIGINT, programme_id BIGINT, quartier_id BIGINT, existing BOOLEAN NOT NULL, search_key TEXT NOT NULL, written_commune_code TEXT,
                PRIMARY KEY (landlord_id, reference));
             TRUNCATE import_ops;
             INSERT INTO import_ops
             SELECT s.landlord_id, s.reference, s.label, s.commune_code, p.id, s.programme_id, q.id,
                    EXISTS (SELECT 1 FROM operations o WHERE o.landlord_id = s.landlord_id AND o.reference = s.reference), s.search_key, s.written_commune_code
             FROM (SELECT landlord_id, reference, max(label COLLATE \"C\") AS label, max(commune_code COLLATE \"C\") AS commune_code,
                          max(project_key COLLATE \"C\") AS project_key, max(programme_id) AS programme_id, max(quartier_key COLLATE \"C\") AS quartier_key,
                          max(search_key COLLATE \"C\") AS search_key, max(written_commune_code COLLATE \"C\") AS written_commune_code
                   FROM import_staging GROUP BY landlord_id, reference) s
             LEFT JOIN projects p ON p.name_key = s.project_key
             LEFT JOIN quartiers q ON q.commune_code = s.commune_code AND q.name_key = s.quartier_key;
             ANALYZE import_ops;",
        )
        .map_err(pg)?;
        steps.mark("projets, quartiers, import_ops");
        stats.operations_created = one(c, "SELECT count(*) FROM import_ops WHERE NOT existing")?;
        // Only new operations (a first import, new programmes): plain inserts, nothing to audit
        // as changed, no line already held.
        let all_new = stats.operations_created == one(c, "SELECT count(*) FROM import_ops")?;
        // The staged lines it writes (none already held in an import that is all new).
        c.batch_execute(
            "CREATE TEMP TABLE IF NOT EXISTS import_changed (staged BIGINT PRIMARY KEY, line_id BIGINT, sums BOOLEAN NOT NULL);
             TRUNCATE import_changed;",
        )
        .map_err(pg)?;
        if all_new {
            // (Their sums are made from the staged lines: NEW_OPERATIONS_TOTALS.)
            c.batch_execute(query::NO_TOTALS_OPERATIONS).map_err(pg)?;
        } else {
            c.batch_execute(&format!(
                "{} ANALYZE import_changed;",
                query::changed_lines("IS DISTINCT FROM", "row_no")
            ))
            .map_err(pg)?;
            c.batch_execute(&query::totals_operations("IS DISTINCT FROM", "row_no"))
                .map_err(pg)?;
        }
        c.batch_execute(query::TOTALS_BEFORE_MERGE).map_err(pg)?;
        steps.mark("lignes écrites, totals_ops, sommes avant");
        let a = self.actor.clone();
        let at = now();
        // The import's record: what it creates carries its id (`import_id`) instead of an audit
        // row each (logis_store::audit::import_creations puts them back in the trail).
        let import_id = crate::audit::record_returning(c, &a, &Change::import_started())?;
        let audit = |c: &mut Client, template: &str| -> Result<u64> {
            let sql = audit_sql(template);
            let via = a.via.code();
            c.execute(&sql, &[&at, &a.user_id, &a.name, &a.organisation_id, &via])
                .map_err(pg)
        };
        use logis_store::register::import_audit as ia;
        let ops_conflict = if all_new { "" } else { OPERATIONS_CONFLICT };
        if !all_new {
            audit(c, ia::OPERATIONS_UPDATED)?;
        }
        let touched_ops = exec(
            c,
            &format!("INSERT INTO operations (landlord_id, reference, label, commune_code, project_id, programme_id, quartier_id, search_key, written_commune_code, import_id)
             SELECT landlord_id, reference, label, commune_code, project_id, programme_id, quartier_id, search_key, written_commune_code, {import_id} FROM import_ops ORDER BY landlord_id, reference
             {ops_conflict}"),
        )?;
        stats.operations_updated = touched_ops - stats.operations_created;
        steps.mark("opérations");
        let lines_conflict = if all_new { "" } else { LINES_CONFLICT };
        let existing_lines = if all_new {
            0
        } else {
            audit(c, ia::LINES_UPDATED)?;
            staged - one(c, sql::STAGED_LINES_NEW)?
        };
        // The staged lines to write: all of them, or those found new or changed.
        let written = if all_new {
            "import_staging s"
        } else {
            "import_changed m JOIN import_staging s ON s.row_no = m.staged"
        };
        steps.mark("audit des lignes");
        let insert_lines = format!("INSERT INTO operation_lines (operation_id, nature, site, product, financing, year, dwellings, stage, stage_date, cost_cents, surface_m2, dpe_before, dpe_after, cep_before, cep_after, rpls_ids, import_id)
             SELECT o.id, s.nature, s.site, s.product, s.financing, s.year, s.dwellings, s.stage, s.stage_date, s.cost_cents, s.surface_m2, s.dpe_before, s.dpe_after, s.cep_before, s.cep_after, s.rpls_ids, {import_id}::BIGINT
             FROM {written} JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference ORDER BY s.row_no
             {lines_conflict}");
        let touched_lines = if all_new {
            // New lines and their stage events at once, from what the insert returns: no join
            // of the staged lines to the lines to find their ids.
            exec(
                c,
                &format!(
                    "WITH written AS ({insert_lines} RETURNING id, stage, stage_date)
                     INSERT INTO stage_events (line_id, stage, event_date)
                     SELECT id, stage, stage_date FROM written WHERE stage IS NOT NULL AND stage_date IS NOT NULL"
                ),
            )?;
            staged
        } else {
            exec(c, &insert_lines)?
        };
        stats.lines_created = staged - existing_lines;
        steps.mark("lignes");
        // Fresh statistics before the next join: a large first import would otherwise be planned
        // as if the tables were still empty. Only for an import of a tenth of the lines held or
        // more: a small one leaves them as good as they were (autovacuum's analyze catches up),
        // and each ANALYZE reads a sample of its table (0.1 s or more at 1,000,000 lines).
        let held: f64 = c
            .query_one(
                "SELECT greatest(reltuples, 0)::float8 FROM pg_class WHERE oid = 'operation_lines'::regclass",
                &[],
            )
            .map_err(pg)?
            .get(0);
        let large = staged as f64 * 10.0 >= held;
        if large {
            c.batch_execute("ANALYZE operations; ANALYZE operation_lines;")
                .map_err(pg)?;
        }
        stats.lines_updated = touched_lines - stats.lines_created;
        stats.lines_unchanged = existing_lines - stats.lines_updated;

        if !all_new {
            exec(
            c,
            &format!("INSERT INTO stage_events (line_id, stage, event_date)
             SELECT l.id, s.stage, s.stage_date FROM {written}
             JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference
             JOIN operation_lines l ON l.operation_id = o.id AND l.nature = s.nature AND l.site = s.site AND l.product = s.product
                AND l.financing = s.financing AND l.year = s.year
             WHERE s.stage IS NOT NULL AND s.stage_date IS NOT NULL
             ON CONFLICT (line_id, stage) DO UPDATE SET event_date = excluded.event_date
             WHERE stage_events.event_date IS DISTINCT FROM excluded.event_date"),
            )?;
        }
        steps.mark("stades");
        record(
            c,
            &a,
            &Change::event(
                "import",
                import_id,
                "import",
                serde_json::to_value(&stats).unwrap_or_default(),
            ),
        )?;
        c.batch_execute(if all_new {
            NEW_OPERATIONS_TOTALS
        } else {
            query::TOTALS_AFTER_MERGE
        })
        .map_err(pg)?;
        steps.mark("sommes après");
        c.batch_execute(logis_store::cube::sql::BUMP).map_err(pg)?;
        if large {
            c.batch_execute("ANALYZE line_totals").map_err(pg)?;
        }
        c.batch_execute("TRUNCATE import_staging; TRUNCATE import_ops; TRUNCATE import_changed;")
            .map_err(pg)?;
        Ok(stats)
    }

    fn rollback(&mut self) -> Result<()> {
        self.open = false;
        self.conn.batch_execute("ROLLBACK").map_err(pg)
    }
}

impl ImportSession for PgImport {
    fn stage(&mut self, row: u64, l: &LineDraft) -> Result<()> {
        let row_no = row.to_string();
        let landlord = l.op.landlord_id.to_string();
        let project_key = self
            .keys
            .project(l.op.project.as_deref())
            .map(str::to_string);
        let programme = l.op.programme_id.map(|p| p.to_string());
        let quartier_key = self
            .keys
            .quartier(l.op.quartier.as_deref())
            .map(str::to_string);
        let year = l.year.get().to_string();
        let dwellings = l.dwellings.get().to_string();
        let date = l.stage_date.map(|d| d.format("%Y-%m-%d").to_string());
        let cost = l.cost.map(|c| c.cents().to_string());
        let surface = l.surface_m2.map(|m| m.to_string());
        let cep = |v: Option<u32>| v.map(|n| n.to_string());
        let (cep_before, cep_after) = (cep(l.energy.cep_before), cep(l.energy.cep_after));
        let search_key = self
            .keys
            .search(&l.op.reference, l.op.label.as_deref())
            .to_string();
        copy_row(
            &mut self.buf,
            &[
                Some(&row_no),
                Some(&landlord),
                Some(&l.op.reference),
                l.op.label.as_deref(),
                Some(l.op.commune.as_str()),
                l.op.project.as_deref(),
                project_key.as_deref(),
                programme.as_deref(),
                l.op.quartier.as_deref(),
                quartier_key.as_deref(),
                Some(l.nature.code()),
                Some(dim(l.site, Site::code)),
                Some(dim(l.product, Product::code)),
                Some(dim(l.financing, RehabFinancing::code)),
                Some(&year),
                Some(&dwellings),
                l.stage.map(Stage::code),
                date.as_deref(),
                cost.as_deref(),
                Some(&search_key),
                l.op.written_commune.as_ref().map(|c| c.as_str()),
                surface.as_deref(),
                l.energy.before.map(logis_domain::stock::Letter::code),
                l.energy.after.map(logis_domain::stock::Letter::code),
                cep_before.as_deref(),
                cep_after.as_deref(),
                l.rpls_ids.as_deref(),
            ],
        );
        self.staged += 1;
        if self.buf.len() >= COPY_BUFFER {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, commit: bool) -> Result<ImportOutcome> {
        let mut steps = logis_store::steps::Steps::new();
        let checked = self.flush().and_then(|()| self.check());
        steps.mark("contrôles");
        let problems = match checked {
            Ok(p) => p,
            Err(e) => {
                self.rollback()?;
                return Err(e);
            }
        };
        // A clean check-only run merges too, then rolls back: its statistics say what the
        // import would change (the preview of the web import).
        if !problems.is_empty() {
            self.rollback()?;
            let stats = ImportStats {
                lines_read: self.staged,
                ..Default::default()
            };
            return Ok(ImportOutcome {
                problems,
                stats,
                committed: false,
            });
        }
        let stats = match self.merge() {
            Ok(s) => s,
            Err(e) => {
                self.rollback()?;
                return Err(e);
            }
        };
        steps.mark("fusion");
        if commit {
            self.conn.batch_execute("COMMIT").map_err(pg)?;
            steps.mark("validation");
            self.open = false;
        } else {
            self.rollback()?;
        }
        Ok(ImportOutcome {
            problems,
            stats,
            committed: commit,
        })
    }
}
