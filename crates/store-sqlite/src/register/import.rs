use super::*;
use logis_store::register::sql;

/// An import transaction on one pooled connection.
pub(super) struct SqliteImport {
    pub(super) conn: r2d2::PooledConnection<Manager>,
    pub(super) open: bool,
    pub(super) staged: u64,
    pub(super) actor: Actor,
    pub(super) keys: logis_store::register::StagingKeys,
}

fn audit_sql(template: &str) -> String {
    logis_store::register::import_audit::sql(
        template,
        |n| format!("?{n}"),
        "json_object",
        "IS NOT",
        "",
        "rowid",
    )
}

/// The pre-aggregated sums of an import whose operations are all new, from its staged lines
/// (they are the operations' lines): each staged line given its operation's programme, project
/// and quartier (a line may leave them empty where another line of its operation names them),
/// then one walk of an index in the sums' order adding each group to `line_totals` — no sort of
/// the lines joined to their operations, no second grouping.
const NEW_OPERATIONS_TOTALS: &str = "
UPDATE import_staging SET programme_id = i.programme_id, project_key = i.project_key, quartier_key = i.quartier_key
FROM import_ops i
WHERE i.landlord_id = import_staging.landlord_id AND i.reference = import_staging.reference
  AND (import_staging.programme_id IS NOT i.programme_id OR import_staging.project_key IS NOT i.project_key
       OR import_staging.quartier_key IS NOT i.quartier_key);
DROP INDEX IF EXISTS temp.import_staging_totals;
CREATE INDEX temp.import_staging_totals ON import_staging (programme_id, landlord_id, project_key, quartier_key, commune_code, year,
    nature, site, product, financing, stage, dwellings, cost_cents);
INSERT INTO line_totals (programme_id, landlord_id, project_id, quartier_id, commune_code, year, nature, site, product, financing, stage, dwellings, lines, cost_cents)
SELECT coalesce(s.programme_id, 0), s.landlord_id, coalesce(p.id, 0), coalesce(q.id, 0), s.commune_code, s.year, s.nature, s.site, s.product,
       s.financing, coalesce(s.stage, ''), sum(s.dwellings), count(*), coalesce(sum(s.cost_cents), 0)
FROM import_staging s INDEXED BY import_staging_totals
LEFT JOIN projects p ON p.name_key = s.project_key
LEFT JOIN quartiers q ON q.commune_code = s.commune_code AND q.name_key = s.quartier_key
WHERE true
GROUP BY s.programme_id, s.landlord_id, s.project_key, s.quartier_key, s.commune_code, s.year, s.nature, s.site, s.product, s.financing, s.stage
ON CONFLICT (programme_id, landlord_id, project_id, quartier_id, commune_code, year, nature, site, product, financing, stage)
DO UPDATE SET dwellings = line_totals.dwellings + excluded.dwellings, lines = line_totals.lines + excluded.lines,
    cost_cents = line_totals.cost_cents + excluded.cost_cents;
DROP INDEX temp.import_staging_totals;";

impl Drop for SqliteImport {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Groups of rows found by a checking query: (row numbers "3,7,9", detail).
fn row_groups(conn: &Connection, sql: &str) -> Result<Vec<(Vec<u64>, String)>> {
    let mut st = conn.prepare(sql).map_err(be)?;
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(be)?;
    let mut out = Vec::new();
    for r in rows {
        let (list, detail) = r.map_err(be)?;
        let mut nums: Vec<u64> = list
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
        nums.sort_unstable();
        out.push((nums, detail));
    }
    Ok(out)
}

impl SqliteImport {
    fn check(&self) -> Result<Vec<RowProblem>> {
        let dups = row_groups(
            &self.conn,
            "SELECT group_concat(row_no), reference FROM import_staging
             GROUP BY landlord_id, reference, nature, site, product, financing, year HAVING count(*) > 1 LIMIT 10000",
        )?;
        let conflicts = row_groups(
            &self.conn,
            // (Two values or more of a column in a group: its least and greatest differ — a
            // count of distinct values would sort each group.)
            "SELECT group_concat(row_no),
                    reference || char(31) || ifnull(min(commune_code) < max(commune_code), 0) || ifnull(min(label) < max(label), 0)
                    || ifnull(min(project_key) < max(project_key), 0) || ifnull(min(programme_id) < max(programme_id), 0)
                    || ifnull(min(quartier_key) < max(quartier_key), 0)
             FROM import_staging GROUP BY landlord_id, reference
             HAVING min(commune_code) < max(commune_code) OR min(label) < max(label) OR min(project_key) < max(project_key)
                 OR min(programme_id) < max(programme_id) OR min(quartier_key) < max(quartier_key) LIMIT 10000",
        )?;
        Ok(logis_store_problems(dups, conflicts))
    }

    fn merge(&self) -> Result<ImportStats> {
        let c = &*self.conn;
        let one = |sql: &str| -> Result<u64> {
            c.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|v| v as u64)
                .map_err(be)
        };
        let exec = |sql: &str| -> Result<u64> { c.execute(sql, []).map(|n| n as u64).map_err(be) };
        let mut stats = ImportStats {
            lines_read: self.staged,
            ..Default::default()
        };
        let mut steps = logis_store::steps::Steps::new();

        stats.projects_created = exec(
            "INSERT INTO projects (name, name_key, kind) SELECT min(project), project_key, 'autre' FROM import_staging
             WHERE project_key IS NOT NULL GROUP BY project_key ORDER BY project_key ON CONFLICT (name_key) DO NOTHING",
        )?;
        stats.quartiers_created = exec(
            "INSERT INTO quartiers (name, name_key, kind, commune_code) SELECT min(quartier), quartier_key, 'autre', commune_code FROM import_staging
             WHERE quartier_key IS NOT NULL GROUP BY commune_code, quartier_key ORDER BY commune_code, quartier_key ON CONFLICT (commune_code, name_key) DO NOTHING",
        )?;
        steps.mark("projets, quartiers");
        c.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_ops (landlord_id INTEGER NOT NULL, reference TEXT NOT NULL, label TEXT, commune_code TEXT NOT NULL,
                project_id INTEGER, programme_id INTEGER, quartier_id INTEGER, existing INTEGER NOT NULL, search_key TEXT NOT NULL, written_commune_code TEXT,
                project_key TEXT, quartier_key TEXT,
                PRIMARY KEY (landlord_id, reference));
             DELETE FROM import_ops;
             INSERT INTO import_ops
             SELECT s.landlord_id, s.reference, s.label, s.commune_code, p.id, s.programme_id, q.id,
                    EXISTS (SELECT 1 FROM operations o WHERE o.landlord_id = s.landlord_id AND o.reference = s.reference), s.search_key, s.written_commune_code,
                    s.project_key, s.quartier_key
             FROM (SELECT landlord_id, reference, max(label) AS label, max(commune_code) AS commune_code, max(project_key) AS project_key,
                          max(programme_id) AS programme_id, max(quartier_key) AS quartier_key, max(search_key) AS search_key, max(written_commune_code) AS written_commune_code
                   FROM import_staging GROUP BY landlord_id, reference) s
             LEFT JOIN projects p ON p.name_key = s.project_key
             LEFT JOIN quartiers q ON q.commune_code = s.commune_code AND q.name_key = s.quartier_key;",
        )
        .map_err(be)?;
        steps.mark("import_ops");
        stats.operations_created = one("SELECT count(*) FROM import_ops WHERE existing = 0")?;
        // Only new operations (a first import, new programmes): their lines are the staged ones.
        let all_new = stats.operations_created == one("SELECT count(*) FROM import_ops")?;
        // The staged lines it writes (none already held in an import that is all new).
        c.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_changed (staged INTEGER PRIMARY KEY, line_id INTEGER, sums INTEGER NOT NULL);
             DELETE FROM import_changed;",
        )
        .map_err(be)?;
        if all_new {
            c.execute_batch(query::NO_TOTALS_OPERATIONS).map_err(be)?;
        } else {
            c.execute_batch(&query::changed_lines("IS NOT", "rowid"))
                .map_err(be)?;
            steps.mark("lignes écrites");
            c.execute_batch(&query::totals_operations("IS NOT", "rowid"))
                .map_err(be)?;
        }
        steps.mark("totals_ops");
        c.execute_batch(query::TOTALS_BEFORE_MERGE).map_err(be)?;
        steps.mark("sommes avant");
        let a = &self.actor;
        let at = now();
        // The import's record: what it creates carries its id (`import_id`) instead of an audit
        // row each (logis_store::audit::import_creations puts them back in the trail).
        record(c, a, &Change::import_started())?;
        let import_id = c.last_insert_rowid();
        let audit = |template: &str| -> Result<u64> {
            let sql = audit_sql(template);
            c.execute(
                &sql,
                params![at, a.user_id, a.name, a.organisation_id, a.via.code()],
            )
            .map(|n| n as u64)
            .map_err(be)
        };
        use logis_store::register::import_audit as ia;
        // (New operations have nothing to change nor lines already held.)
        if !all_new {
            audit(ia::OPERATIONS_UPDATED)?;
        }
        steps.mark("audit opérations");
        let touched_ops = exec(&format!(
            "INSERT INTO operations (landlord_id, reference, label, commune_code, project_id, programme_id, quartier_id, search_key, written_commune_code, import_id)
             SELECT landlord_id, reference, label, commune_code, project_id, programme_id, quartier_id, search_key, written_commune_code, {import_id} FROM import_ops WHERE true ORDER BY landlord_id, reference
             ON CONFLICT (landlord_id, reference) DO UPDATE SET
                label = coalesce(excluded.label, operations.label), commune_code = excluded.commune_code,
                project_id = coalesce(excluded.project_id, operations.project_id),
                programme_id = coalesce(excluded.programme_id, operations.programme_id),
                quartier_id = coalesce(excluded.quartier_id, operations.quartier_id),
                search_key = CASE WHEN excluded.label IS NULL THEN operations.search_key ELSE excluded.search_key END,
                written_commune_code = excluded.written_commune_code
             WHERE operations.label IS NOT coalesce(excluded.label, operations.label) OR operations.commune_code IS NOT excluded.commune_code
                OR operations.project_id IS NOT coalesce(excluded.project_id, operations.project_id)
                OR operations.programme_id IS NOT coalesce(excluded.programme_id, operations.programme_id)
                OR operations.quartier_id IS NOT coalesce(excluded.quartier_id, operations.quartier_id)
                OR operations.written_commune_code IS NOT excluded.written_commune_code"
        ))?;
        stats.operations_updated = touched_ops - stats.operations_created;
        steps.mark("upsert opérations");
        if !all_new {
            audit(ia::LINES_UPDATED)?;
        }
        steps.mark("audit lignes");

        let existing_lines = if all_new {
            0
        } else {
            self.staged - one(sql::STAGED_LINES_NEW)?
        };
        // The staged lines to write: all of them, or those found new or changed.
        let written = if all_new {
            "import_staging s"
        } else {
            "import_changed m JOIN import_staging s ON s.rowid = m.staged"
        };
        steps.mark("lignes déjà là");
        let touched_lines = exec(&format!(
            "INSERT INTO operation_lines (operation_id, nature, site, product, financing, year, dwellings, stage, stage_date, cost_cents, surface_m2, dpe_before, dpe_after, cep_before, cep_after, rpls_ids, import_id)
             SELECT o.id, s.nature, s.site, s.product, s.financing, s.year, s.dwellings, s.stage, s.stage_date, s.cost_cents, s.surface_m2, s.dpe_before, s.dpe_after, s.cep_before, s.cep_after, s.rpls_ids, {import_id}
             FROM {written} JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference WHERE true ORDER BY s.row_no
             ON CONFLICT (operation_id, nature, site, product, financing, year) DO UPDATE SET
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
                OR operation_lines.stage IS NOT coalesce(excluded.stage, operation_lines.stage)
                OR operation_lines.stage_date IS NOT coalesce(excluded.stage_date, operation_lines.stage_date)
                OR operation_lines.cost_cents IS NOT coalesce(excluded.cost_cents, operation_lines.cost_cents)
                OR operation_lines.surface_m2 IS NOT coalesce(excluded.surface_m2, operation_lines.surface_m2)
                OR operation_lines.dpe_before IS NOT coalesce(excluded.dpe_before, operation_lines.dpe_before)
                OR operation_lines.dpe_after IS NOT coalesce(excluded.dpe_after, operation_lines.dpe_after)
                OR operation_lines.cep_before IS NOT coalesce(excluded.cep_before, operation_lines.cep_before)
                OR operation_lines.cep_after IS NOT coalesce(excluded.cep_after, operation_lines.cep_after)
                OR operation_lines.rpls_ids IS NOT coalesce(excluded.rpls_ids, operation_lines.rpls_ids)"
        ))?;
        stats.lines_created = self.staged - existing_lines;
        stats.lines_updated = touched_lines - stats.lines_created;
        stats.lines_unchanged = existing_lines - stats.lines_updated;
        steps.mark("upsert lignes");

        exec(&format!(
            "INSERT INTO stage_events (line_id, stage, event_date)
             SELECT l.id, s.stage, s.stage_date FROM {written}
             JOIN operations o ON o.landlord_id = s.landlord_id AND o.reference = s.reference
             JOIN operation_lines l ON l.operation_id = o.id AND l.nature = s.nature AND l.site = s.site AND l.product = s.product
                AND l.financing = s.financing AND l.year = s.year
             WHERE s.stage IS NOT NULL AND s.stage_date IS NOT NULL
             ON CONFLICT (line_id, stage) DO UPDATE SET event_date = excluded.event_date WHERE stage_events.event_date IS NOT excluded.event_date",
        ))?;
        steps.mark("stades");
        record(
            c,
            a,
            &Change::event(
                "import",
                import_id,
                "import",
                serde_json::to_value(&stats).unwrap_or_default(),
            ),
        )?;
        if all_new {
            c.execute_batch(NEW_OPERATIONS_TOTALS).map_err(be)?;
        } else {
            c.execute_batch(query::TOTALS_AFTER_MERGE).map_err(be)?;
        }
        steps.mark("sommes après");
        c.execute_batch(logis_store::cube::sql::BUMP).map_err(be)?;
        c.execute_batch(
            "DELETE FROM import_staging; DELETE FROM import_ops; DELETE FROM import_changed; DROP INDEX IF EXISTS temp.import_staging_key; PRAGMA optimize;",
        )
            .map_err(be)?;
        Ok(stats)
    }
}

/// Turn the groups found by the checking queries into French row problems.
fn logis_store_problems(
    dups: Vec<(Vec<u64>, String)>,
    conflicts: Vec<(Vec<u64>, String)>,
) -> Vec<RowProblem> {
    logis_store::problems::from_groups(dups, conflicts)
}

impl ImportSession for SqliteImport {
    fn stage(&mut self, row: u64, l: &LineDraft) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(
                "INSERT INTO import_staging VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
            )
            .map_err(be)?;
        let keys = &mut self.keys;
        let project_key = keys.project(l.op.project.as_deref()).map(str::to_string);
        let quartier_key = keys.quartier(l.op.quartier.as_deref()).map(str::to_string);
        st.execute(params![
            row as i64,
            l.op.landlord_id,
            l.op.reference,
            l.op.label,
            l.op.commune.as_str(),
            l.op.project,
            project_key,
            l.op.programme_id,
            l.op.quartier,
            quartier_key,
            l.nature.code(),
            dim(l.site, Site::code),
            dim(l.product, Product::code),
            dim(l.financing, RehabFinancing::code),
            l.year.get(),
            l.dwellings.get(),
            l.stage.map(Stage::code),
            l.stage_date.map(|d| d.format("%Y-%m-%d").to_string()),
            l.cost.map(|c| c.cents()),
            keys.search(&l.op.reference, l.op.label.as_deref()),
            l.op.written_commune.as_ref().map(|c| c.as_str()),
            l.surface_m2,
            l.energy.before.map(logis_domain::stock::Letter::code),
            l.energy.after.map(logis_domain::stock::Letter::code),
            l.energy.cep_before,
            l.energy.cep_after,
            l.rpls_ids,
        ])
        .map_err(be)?;
        self.staged += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>, commit: bool) -> Result<ImportOutcome> {
        let mut steps = logis_store::steps::Steps::new();
        // One sort of the staged lines by operation then line, which the whole-file checks, the
        // operations' grouping and the lines' joins all walk instead of sorting again.
        self.conn
            .execute_batch(
                "DROP INDEX IF EXISTS temp.import_staging_key;
                 CREATE INDEX temp.import_staging_key ON import_staging (landlord_id, reference, nature, site, product, financing, year);",
            )
            .map_err(be)?;
        steps.mark("index de l'import");
        let problems = self.check()?;
        steps.mark("contrôles");
        // A clean check-only run merges too, then rolls back: its statistics say what the
        // import would change (the preview of the web import).
        if !problems.is_empty() {
            self.conn.execute_batch("ROLLBACK").map_err(be)?;
            self.open = false;
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
                self.conn.execute_batch("ROLLBACK").map_err(be)?;
                self.open = false;
                return Err(e);
            }
        };
        self.conn
            .execute_batch(if commit { "COMMIT" } else { "ROLLBACK" })
            .map_err(be)?;
        steps.mark("fusion et validation");
        self.open = false;
        Ok(ImportOutcome {
            problems,
            stats,
            committed: commit,
        })
    }
}
