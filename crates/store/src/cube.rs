//! The register's lines held in memory as columns, so that report sums over a large register
//! are computed without a scan of the database. Both adapters fill a [`CubeBuilder`] from one
//! read transaction, stamped with the register's version (a counter every write that changes
//! operations, lines or the reference geography increments in its own transaction); a
//! [`CubeCache`] keeps the newest cube and reloads it when the stored version has moved.
//!
//! [`Cube::aggregate`] gives exactly what [`crate::query::aggregate_sql`] gives (same groups,
//! same sums, same order: numbers numerically, texts bytewise), for every filter, the text search
//! included. The conformance suite compares the two on both backends.

use crate::LineFilter;
use crate::query::{Dim, Grouped, KeyTexts};
use logis_domain::{Geography, LineScope};
use rustc_hash::FxHashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One operation, as the adapter reads it.
#[derive(Debug, Clone, Copy)]
pub struct CubeOperation<'a> {
    pub id: i64,
    pub landlord_id: i64,
    pub programme_id: Option<i64>,
    pub project_id: Option<i64>,
    pub quartier_id: Option<i64>,
    pub commune_code: &'a str,
    pub reference: &'a str,
    pub label: Option<&'a str>,
    /// `operations.search_key` (reference and label as a name key), what the text search reads.
    pub search_key: &'a str,
}

/// One line, as the adapter reads it.
#[derive(Debug, Clone, Copy)]
pub struct CubeLine<'a> {
    pub operation_id: i64,
    pub year: i64,
    pub nature: &'a str,
    pub site: &'a str,
    pub product: &'a str,
    pub financing: &'a str,
    pub stage: Option<&'a str>,
    pub dwellings: i64,
    pub cost_cents: Option<i64>,
}

/// Values of one dimension: each stored index has a rank (its place in the report's order;
/// equal texts share a rank, as they share a group in SQL) and each rank its text.
#[derive(Debug, Default)]
struct Level {
    rank: Vec<u32>,
    text: Vec<Arc<str>>,
}

impl Level {
    /// Ranks of `names` (indexed as stored) in bytewise order of the texts.
    fn bytewise(names: &[String]) -> Level {
        // The names' indexes sorted by name, then ranks in one pass (no search per name).
        let mut order: Vec<u32> = (0..names.len() as u32).collect();
        order.sort_unstable_by(|a, b| names[*a as usize].cmp(&names[*b as usize]));
        let mut rank = vec![0u32; names.len()];
        let mut text: Vec<Arc<str>> = Vec::new();
        let mut last: Option<&str> = None;
        for i in order {
            let name = names[i as usize].as_str();
            if last != Some(name) {
                text.push(Arc::from(name));
                last = Some(name);
            }
            rank[i as usize] = text.len() as u32 - 1;
        }
        Level { rank, text }
    }
}

/// Texts interned to small indexes (vocabulary codes, commune codes…).
#[derive(Debug, Default)]
struct Interner {
    index: FxHashMap<String, u32>,
    values: Vec<String>,
}

impl Interner {
    fn get(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.values.len() as u32;
        self.index.insert(s.to_string(), i);
        self.values.push(s.to_string());
        i
    }
    fn find(&self, s: &str) -> Option<u32> {
        self.index.get(s).copied()
    }
}

/// Entities named by id (landlords, programmes, projects, quartiers); index 0 is "none", named ''.
#[derive(Debug)]
struct Named {
    index: FxHashMap<i64, u32>,
    names: Vec<String>,
}

impl Default for Named {
    fn default() -> Self {
        Named {
            index: FxHashMap::default(),
            names: vec![String::new()],
        }
    }
}

impl Named {
    fn add(&mut self, id: i64, name: &str) {
        if !self.index.contains_key(&id) {
            self.index.insert(id, self.names.len() as u32);
            self.names.push(name.to_string());
        }
    }
    /// The index of `id` (0 for none); an id never declared gets an entry named ''.
    fn of(&mut self, id: Option<i64>) -> u32 {
        match id {
            None => 0,
            Some(id) => {
                if let Some(&i) = self.index.get(&id) {
                    return i;
                }
                self.add(id, "");
                self.names.len() as u32 - 1
            }
        }
    }
    fn find(&self, id: i64) -> Option<u32> {
        self.index.get(&id).copied()
    }
}

/// Vocabulary columns of a line (codes as stored; '' for none).
const NATURE: usize = 0;
const SITE: usize = 1;
const PRODUCT: usize = 2;
const FINANCING: usize = 3;
const STAGE: usize = 4;

/// What the builder collects and the cube keeps: the dictionaries and the columns.
#[derive(Debug, Default)]
struct Columns {
    landlords: Named,
    programmes: Named,
    projects: Named,
    quartiers: Named,
    communes: Interner,
    vocab: [Interner; 5],
    op_id: Vec<i64>,
    op_landlord: Vec<u32>,
    op_programme: Vec<u32>,
    op_project: Vec<u32>,
    op_quartier: Vec<u32>,
    op_commune: Vec<u32>,
    /// The operations' search keys one after the other, each followed by a line feed (which no
    /// key holds), and where each one ends.
    op_search: String,
    op_search_end: Vec<usize>,
    l_op: Vec<u32>,
    l_year: Vec<i16>,
    l_vocab: [Vec<u8>; 5],
    l_dwellings: Vec<i64>,
    l_cost: Vec<i64>,
    /// Each line's operation's commune, landlord, programme and project, copied from the
    /// operation (filled by `finish`): the most used groups and filters then read the lines in
    /// order (an operation's column, read through the line's operation, is read out of order).
    l_commune: Vec<u32>,
    l_landlord: Vec<u32>,
    l_programme: Vec<u32>,
    l_project: Vec<u32>,
}

/// Collects one consistent read of the register, then [`CubeBuilder::finish`].
pub struct CubeBuilder {
    version: i64,
    c: Columns,
    op_index: FxHashMap<i64, u32>,
    /// The lines read (moved into the columns by `finish`).
    lines: LineColumns,
    op_reference: Vec<String>,
    op_label: Vec<String>,
}

/// Lines as the builder keeps them before [`CubeBuilder::finish`].
#[derive(Debug, Default)]
struct LineColumns {
    vocab: [Interner; 5],
    l_op: Vec<u32>,
    l_year: Vec<i16>,
    l_vocab: [Vec<u8>; 5],
    l_dwellings: Vec<i64>,
    l_cost: Vec<i64>,
    /// The operation of the last line read (see [`LineColumns::push`]).
    last_op: u32,
}

impl LineColumns {
    fn push(
        &mut self,
        op_id: &[i64],
        op_index: &FxHashMap<i64, u32>,
        l: CubeLine<'_>,
    ) -> Result<(), CubeError> {
        // An operation's lines mostly come one after the other, and operations in id order:
        // the last line's operation, or the next one, before the index.
        let near = [self.last_op, self.last_op.saturating_add(1)]
            .into_iter()
            .find(|o| op_id.get(*o as usize) == Some(&l.operation_id));
        let op = match near {
            Some(o) => o,
            None => *op_index.get(&l.operation_id).ok_or_else(|| {
                CubeError(format!(
                    "ligne d'une opération inconnue ({})",
                    l.operation_id
                ))
            })?,
        };
        self.last_op = op;
        let year = i16::try_from(l.year).map_err(|_| CubeError(format!("année {}", l.year)))?;
        let codes = [
            l.nature,
            l.site,
            l.product,
            l.financing,
            l.stage.unwrap_or_default(),
        ];
        for (k, code) in codes.into_iter().enumerate() {
            let v = self.vocab[k].get(code);
            let v = u8::try_from(v).map_err(|_| CubeError("trop de codes".into()))?;
            self.l_vocab[k].push(v);
        }
        self.l_op.push(op);
        self.l_year.push(year);
        self.l_dwellings.push(l.dwellings);
        self.l_cost.push(l.cost_cents.unwrap_or(0));
        Ok(())
    }
}

/// Where an adapter gives the lines it reads (see [`CubeBuilder::read_lines`]).
pub struct CubeLines<'b> {
    op_id: &'b [i64],
    op_index: &'b FxHashMap<i64, u32>,
    columns: LineColumns,
}

impl CubeLines<'_> {
    pub fn line(&mut self, l: CubeLine<'_>) -> Result<(), CubeError> {
        self.columns.push(self.op_id, self.op_index, l)
    }
    /// The lines read, for [`CubeBuilder::add_lines`].
    fn done(self) -> LineColumns {
        self.columns
    }
}

/// Why a cube could not be built (the adapter then answers from SQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CubeError(pub String);

impl std::fmt::Display for CubeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CubeError {}

impl CubeBuilder {
    pub fn new(version: i64) -> Self {
        CubeBuilder {
            version,
            c: Columns::default(),
            op_index: FxHashMap::default(),
            lines: LineColumns::default(),
            op_reference: Vec::new(),
            op_label: Vec::new(),
        }
    }
    pub fn landlord(&mut self, id: i64, name: &str) {
        self.c.landlords.add(id, name);
    }
    pub fn programme(&mut self, id: i64, name: &str) {
        self.c.programmes.add(id, name);
    }
    pub fn project(&mut self, id: i64, name: &str) {
        self.c.projects.add(id, name);
    }
    pub fn quartier(&mut self, id: i64, name: &str) {
        self.c.quartiers.add(id, name);
    }
    pub fn operation(&mut self, o: CubeOperation<'_>) {
        let i = self.c.op_id.len() as u32;
        self.op_index.insert(o.id, i);
        self.c.op_id.push(o.id);
        let landlord = self.c.landlords.of(Some(o.landlord_id));
        self.c.op_landlord.push(landlord);
        let programme = self.c.programmes.of(o.programme_id);
        self.c.op_programme.push(programme);
        let project = self.c.projects.of(o.project_id);
        self.c.op_project.push(project);
        let quartier = self.c.quartiers.of(o.quartier_id);
        self.c.op_quartier.push(quartier);
        let commune = self.c.communes.get(o.commune_code);
        self.c.op_commune.push(commune);
        self.c.op_search.push_str(o.search_key);
        self.c.op_search.push('\n');
        self.c.op_search_end.push(self.c.op_search.len());
        self.op_reference.push(o.reference.to_string());
        self.op_label.push(o.label.unwrap_or_default().to_string());
    }
    /// A reader of lines apart from the builder (another thread may read others at the same
    /// time), whose lines [`CubeBuilder::add_lines`] then adds.
    fn lines_apart(&self) -> CubeLines<'_> {
        CubeLines {
            op_id: &self.c.op_id,
            op_index: &self.op_index,
            columns: LineColumns::default(),
        }
    }

    /// Read the register's lines, after its operations. `here(part, second)` reads, on the
    /// calling thread, the first half of them (`second` false; all of them when not `halves`)
    /// or the second half (`second` true). With `halves`, `apart` reads the second half at the
    /// same time on a thread of its own (on its own connection), `Ok(false)` when it cannot
    /// (its snapshot is not this one); then, or when it fails or no thread is to be had, `here`
    /// reads it after the first.
    pub fn read_lines<E>(
        &mut self,
        halves: bool,
        apart: Option<impl FnOnce(&mut CubeLines<'_>) -> Result<bool, E> + Send>,
        mut here: impl FnMut(&mut CubeLines<'_>, bool) -> Result<(), E>,
    ) -> Result<(), E> {
        let this = &*self;
        let (first, second) = std::thread::scope(|s| -> Result<_, E> {
            let other = apart.filter(|_| halves).and_then(|read| {
                std::thread::Builder::new()
                    .spawn_scoped(s, move || {
                        let mut part = this.lines_apart();
                        matches!(read(&mut part), Ok(true)).then(|| part.done())
                    })
                    .ok()
            });
            let mut part = this.lines_apart();
            here(&mut part, false)?;
            let other =
                other.and_then(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            Ok((part.done(), other))
        })?;
        self.add_lines(first);
        if halves {
            let second = match second {
                Some(lines) => lines,
                None => {
                    let mut part = self.lines_apart();
                    here(&mut part, true)?;
                    part.done()
                }
            };
            self.add_lines(second);
        }
        Ok(())
    }

    /// The lines `lines` read, after those read before (their codes given this builder's
    /// numbers).
    fn add_lines(&mut self, lines: LineColumns) {
        let mine = &mut self.lines;
        for k in 0..lines.vocab.len() {
            let codes: Vec<u32> = lines.vocab[k]
                .values
                .iter()
                .map(|v| mine.vocab[k].get(v))
                .collect();
            mine.l_vocab[k].extend(lines.l_vocab[k].iter().map(|v| {
                // (Both sides hold at most 256 codes: `push` refuses more.)
                codes.get(usize::from(*v)).map_or(0, |c| *c as u8)
            }));
        }
        mine.l_op.extend(lines.l_op);
        mine.l_year.extend(lines.l_year);
        mine.l_dwellings.extend(lines.l_dwellings);
        mine.l_cost.extend(lines.l_cost);
    }

    /// The cube; `geo` names the communes and gives their EPCI.
    pub fn finish(mut self, geo: &Geography) -> Result<Cube, CubeError> {
        let lines = std::mem::take(&mut self.lines);
        self.c.vocab = lines.vocab;
        self.c.l_op = lines.l_op;
        self.c.l_year = lines.l_year;
        self.c.l_vocab = lines.l_vocab;
        self.c.l_dwellings = lines.l_dwellings;
        self.c.l_cost = lines.l_cost;
        // The operations' references and labels are ranked on a thread of their own while the
        // lines are put in order.
        let references = std::mem::take(&mut self.op_reference);
        let labels = std::mem::take(&mut self.op_label);
        let levels = || (Level::bytewise(&references), Level::bytewise(&labels));
        std::thread::scope(|s| {
            let texts = std::thread::Builder::new().spawn_scoped(s, levels);
            self.finish_with(geo, || match texts {
                Ok(h) => h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                // (Without a second thread, the system refusing one: here.)
                Err(_) => levels(),
            })
        })
    }

    /// [`CubeBuilder::finish`], the references' and labels' levels given by `texts`.
    fn finish_with(
        self,
        geo: &Geography,
        texts: impl FnOnce() -> (Level, Level),
    ) -> Result<Cube, CubeError> {
        // Operations in id order, so that the id's rank is the operation's index.
        if self.c.op_id.windows(2).any(|w| w[0] >= w[1]) {
            return Err(CubeError(
                "opérations hors de l'ordre des identifiants".into(),
            ));
        }
        let mut commune_keys = Vec::with_capacity(self.c.communes.values.len());
        let mut commune_names = Vec::with_capacity(self.c.communes.values.len());
        let mut commune_epci = Vec::with_capacity(self.c.communes.values.len());
        for code in &self.c.communes.values {
            let c = geo
                .commune(code)
                .ok_or_else(|| CubeError(format!("commune {code} absente du référentiel")))?;
            commune_names.push(c.name.clone());
            commune_keys.push(logis_domain::text::name_key(&c.name));
            commune_epci.push(c.epci.as_ref().map(|s| s.as_str().to_string()));
        }
        let (year_min, year_max) = match (self.c.l_year.iter().min(), self.c.l_year.iter().max()) {
            (Some(&a), Some(&b)) => (a, b),
            _ => (0, 0),
        };
        let vocab_levels = self.c.vocab.each_ref().map(|v| Level::bytewise(&v.values));
        let commune_code_level = Level::bytewise(&self.c.communes.values);
        let mut c = self.c;
        // Lines in the order of their commune, operation and year: the groups a report sums
        // into then follow one another, and the sums stay in cache.
        // (Keys made once, packed in 128 bits, then sorted: a comparison reads no column.)
        let mut keyed: Vec<u128> = (0..c.l_op.len())
            .map(|i| {
                let op = c.l_op[i];
                let commune = commune_code_level.rank[c.op_commune[op as usize] as usize];
                let year = (i32::from(c.l_year[i]) - i32::from(i16::MIN)) as u128;
                (u128::from(commune) << 96) | (u128::from(op) << 64) | (year << 32) | i as u128
            })
            .collect();
        keyed.sort_unstable();
        let order: Vec<u32> = keyed.iter().map(|k| *k as u32).collect();
        drop(keyed);
        permute(&mut c.l_op, &order);
        permute(&mut c.l_year, &order);
        for v in c.l_vocab.iter_mut() {
            permute(v, &order);
        }
        permute(&mut c.l_dwellings, &order);
        permute(&mut c.l_cost, &order);
        c.l_commune = c.l_op.iter().map(|&o| c.op_commune[o as usize]).collect();
        c.l_landlord = c.l_op.iter().map(|&o| c.op_landlord[o as usize]).collect();
        c.l_programme = c.l_op.iter().map(|&o| c.op_programme[o as usize]).collect();
        c.l_project = c.l_op.iter().map(|&o| c.op_project[o as usize]).collect();
        // Each operation's place among those with lines, in the lines' order; each line's.
        // And each operation's range of lines.
        let mut op_place = vec![u32::MAX; c.op_id.len()];
        let mut line_place = Vec::with_capacity(c.l_op.len());
        let mut op_lines = vec![(0u32, 0u32); c.op_id.len()];
        let mut places = 0u32;
        for (i, &o) in c.l_op.iter().enumerate() {
            if i > 0 && c.l_op[i - 1] != o {
                places += 1;
            }
            op_place[o as usize] = places;
            line_place.push(places);
            let r = &mut op_lines[o as usize];
            if r.0 == r.1 {
                r.0 = i as u32;
            }
            r.1 = i as u32 + 1;
        }
        let commune_name_level = Level::bytewise(&commune_names);
        let mut name_of_code: Vec<Arc<str>> = vec![Arc::from(""); commune_code_level.text.len()];
        for (j, code_rank) in commune_code_level.rank.iter().enumerate() {
            name_of_code[*code_rank as usize] =
                Arc::clone(&commune_name_level.text[commune_name_level.rank[j] as usize]);
        }
        let keys = |names: &[String]| -> Vec<String> {
            names
                .iter()
                .map(|n| logis_domain::text::name_key(n))
                .collect()
        };
        let search = SearchKeys {
            communes: commune_keys,
            projects: keys(&c.projects.names),
            quartiers: keys(&c.quartiers.names),
        };
        let op_id_text = crate::JoinedTexts::of_ids(c.op_id.iter().copied());
        let (reference_level, label_level) = texts();
        Ok(Cube {
            version: self.version,
            op_id_text,
            search,
            landlord_level: Level::bytewise(&c.landlords.names),
            programme_level: Level::bytewise(&c.programmes.names),
            project_level: Level::bytewise(&c.projects.names),
            commune_code_level,
            name_of_code,
            commune_code_static: c
                .communes
                .values
                .iter()
                .map(|v| crate::interned(v))
                .collect(),
            programme_lines: lists_of(
                c.programmes.names.len(),
                c.l_programme.iter().map(|v| *v as usize),
            ),
            nature_lines: lists_of(
                c.vocab[NATURE].values.len(),
                c.l_vocab[NATURE].iter().map(|v| usize::from(*v)),
            ),
            op_lines,
            op_place,
            line_place,
            commune_name_level,
            reference_level,
            label_level,
            year_min,
            year_text: (i32::from(year_min)..=i32::from(year_max))
                .map(|y| Arc::from(y.to_string()))
                .collect(),
            vocab_levels,
            commune_epci,
            c,
        })
    }
}

/// The register in columns. See the module's documentation.
#[derive(Debug)]
pub struct Cube {
    version: i64,
    c: Columns,
    commune_epci: Vec<Option<String>>,
    landlord_level: Level,
    programme_level: Level,
    project_level: Level,
    commune_code_level: Level,
    commune_name_level: Level,
    reference_level: Level,
    label_level: Level,
    vocab_levels: [Level; 5],
    year_min: i16,
    /// The years' texts, from `year_min`.
    year_text: Vec<Arc<str>>,
    /// The commune names by rank of their code.
    name_of_code: Vec<Arc<str>>,
    /// The operations' ids as texts, by operation index.
    op_id_text: crate::JoinedTexts,
    search: SearchKeys,
    /// Each commune's code (by stored index), shared for the life of the process.
    commune_code_static: Vec<&'static str>,
    /// Each programme's lines (by programme index): a filter naming one reads only those.
    programme_lines: Vec<Vec<u32>>,
    /// Each nature's lines (by vocabulary index): a filter naming natures reads only those.
    nature_lines: Vec<Vec<u32>>,
    /// Each operation's lines (by operation index): where they start and end (lines are kept
    /// in commune/operation/year order, so an operation's lines follow one another).
    op_lines: Vec<(u32, u32)>,
    /// Each operation's place among the operations with lines, in the lines' order (`u32::MAX`
    /// without lines), and each line's operation's place: per-operation sums are written in the
    /// order lines are read.
    op_place: Vec<u32>,
    line_place: Vec<u32>,
}

/// Name keys the text search matches besides the operations' own (as the SQL does: the
/// commune's, the project's, the quartier's), by stored index.
#[derive(Debug)]
struct SearchKeys {
    communes: Vec<String>,
    projects: Vec<String>,
    quartiers: Vec<String>,
}

/// Where a dimension's rank comes from, for one line.
#[derive(Debug, Clone, Copy)]
enum Source {
    CommuneCode,
    CommuneName,
    /// The name of the commune whose code has this rank.
    CommuneNameOfCode,
    Year,
    Vocab(usize),
    Landlord,
    Programme,
    Project,
    Reference,
    OperationId,
    Label,
}

impl Source {
    /// Where the lines' order puts this source (see `finish`: commune, operation, year).
    fn line_order(self) -> u8 {
        match self {
            Source::CommuneCode | Source::CommuneName | Source::CommuneNameOfCode => 0,
            Source::Landlord
            | Source::Programme
            | Source::Project
            | Source::Reference
            | Source::OperationId
            | Source::Label => 1,
            Source::Year => 2,
            Source::Vocab(_) => 3,
        }
    }

    /// Whether the rank depends on the line's operation only.
    fn of_operation(self) -> bool {
        !matches!(self, Source::Year | Source::Vocab(_) | Source::OperationId)
    }
}

/// How a group's key of one dimension is read from the group's key.
#[derive(Debug, Clone, Copy)]
enum Read {
    /// The rank of part `p` of the key.
    Part(usize),
    /// From the operation whose index part `p` of the key holds.
    OfOperation(usize),
}

/// Where a part of a key is read, line by line.
#[derive(Clone, Copy)]
enum Column<'a> {
    Line32(&'a [u32]),
    Line8(&'a [u8]),
    /// Years from the first one.
    Year(&'a [i16], i16),
    /// The line's operation's index.
    Operation,
}

/// A part of a key: its column, and the key's share for each value of the column (the value's
/// rank times the part's weight), or the weight alone when the value is the rank.
struct Part<'a> {
    column: Column<'a>,
    weight: u64,
    weighted: Option<Vec<u64>>,
}

impl Part<'_> {
    #[inline]
    fn of(&self, l_op: &[u32], i: usize) -> u64 {
        let v = match self.column {
            Column::Line32(c) => c[i] as usize,
            Column::Line8(c) => usize::from(c[i]),
            Column::Year(c, min) => (c[i] - min) as usize,
            Column::Operation => l_op[i] as usize,
        };
        match &self.weighted {
            Some(w) => w[v],
            None => v as u64 * self.weight,
        }
    }
}

/// The places of an aggregate's groups when the key's parts do not follow the lines' order:
/// `parts` give a group's place among `size`, within the window of the `lead` part's value
/// (the commune) when there is one.
struct Windows<'a> {
    lead: Option<Part<'a>>,
    parts: Vec<Part<'a>>,
    size: u64,
}

/// The texts of a cube's aggregate: the cube's own, by each dimension's source.
#[derive(Debug)]
struct CubeTexts {
    cube: Arc<Cube>,
    sources: Vec<Source>,
}

impl KeyTexts for CubeTexts {
    fn text(&self, dim: usize, rank: u32) -> &str {
        self.sources
            .get(dim)
            .map_or("", |s| self.cube.text(*s, rank))
    }
    fn ranks(&self, dim: usize) -> usize {
        self.sources.get(dim).map_or(0, |s| self.cube.values(*s))
    }
}

/// The lines (in order) of each of `values` values of a column.
fn lists_of(values: usize, column: impl Iterator<Item = usize>) -> Vec<Vec<u32>> {
    let mut out = vec![Vec::new(); values];
    for (i, v) in column.enumerate() {
        out[v].push(i as u32);
    }
    out
}

fn permute<T: Copy>(v: &mut Vec<T>, order: &[u32]) {
    *v = order.iter().map(|&i| v[i as usize]).collect();
}

/// Sort (key, sums) pairs by key and add up those of one key.
fn merge_runs(runs: &mut Vec<(u64, [i64; 3])>) {
    runs.sort_by_key(|(k, _)| *k);
    let mut out = 0;
    for i in 0..runs.len() {
        if out > 0 && runs[out - 1].0 == runs[i].0 {
            let sums = runs[i].1;
            for (s, v) in runs[out - 1].1.iter_mut().zip(sums) {
                *s += v;
            }
        } else {
            runs[out] = runs[i];
            out += 1;
        }
    }
    runs.truncate(out);
}

/// Two lists of (key, sums) in key order as one, the sums of a key in both added up.
fn merge_sorted(a: Vec<(u64, [i64; 3])>, b: Vec<(u64, [i64; 3])>) -> Vec<(u64, [i64; 3])> {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            Less => {
                out.push(a[i]);
                i += 1;
            }
            Greater => {
                out.push(b[j]);
                j += 1;
            }
            Equal => {
                let mut group = a[i];
                for (s, v) in group.1.iter_mut().zip(b[j].1) {
                    *s += v;
                }
                out.push(group);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Up to this many operations found by a text search in memory, a list reads them by id.
pub const TEXT_SEARCH_BY_ID: usize = 5_000;

/// Up to this many possible groups, an aggregate keeps a place for each (4 bytes); beyond,
/// it sums runs of lines and sorts them.
const DENSE_GROUPS: u64 = 1 << 22;

/// From this many lines to read, a scan is cut in two halves read at once, by two threads (see
/// [`Cube::halves`]): a whole-register report's sums in about half the time on two cores.
static SHARED_SCAN_LINES: AtomicUsize = AtomicUsize::new(100_000);

/// From how many lines a scan, or the register's read, is cut in two halves.
pub fn shared_from() -> usize {
    SHARED_SCAN_LINES.load(Ordering::Relaxed)
}

/// Cut the scans of this many lines or more in two halves (see [`Cube::halves`]; by default
/// 100,000): for the tests, which compare both ways on small registers, and the benchmark.
/// The number it replaces comes back when the guard is dropped.
#[must_use = "the threshold comes back when the guard is dropped"]
pub fn share_scans_from(lines: usize) -> SharedScans {
    SharedScans(SHARED_SCAN_LINES.swap(lines, Ordering::Relaxed))
}

/// The threshold [`share_scans_from`] replaced, put back on drop.
pub struct SharedScans(usize);

impl Drop for SharedScans {
    fn drop(&mut self) {
        SHARED_SCAN_LINES.store(self.0, Ordering::Relaxed);
    }
}

/// A condition on a value that is either any, one index, or none at all.
fn wanted<T: Copy>(filter: Option<Option<T>>) -> Result<Option<T>, ()> {
    match filter {
        None => Ok(None),
        Some(Some(v)) => Ok(Some(v)),
        Some(None) => Err(()),
    }
}

impl Cube {
    /// The label ('' without one), reference and landlord's name of these operations (those
    /// held), in id order: what a report page shows of its rows, without a query.
    pub fn operation_heads(&self, ids: &[i64]) -> Vec<(i64, [Arc<str>; 3])> {
        let mut ops: Vec<usize> = ids
            .iter()
            .filter_map(|id| self.c.op_id.binary_search(id).ok())
            .collect();
        ops.sort_unstable();
        ops.dedup();
        let text = |l: &Level, i: usize| -> Arc<str> {
            l.rank
                .get(i)
                .and_then(|r| l.text.get(*r as usize))
                .cloned()
                .unwrap_or_else(|| Arc::from(""))
        };
        ops.into_iter()
            .map(|o| {
                let landlord = self.c.op_landlord[o] as usize;
                (
                    self.c.op_id[o],
                    [
                        text(&self.label_level, o),
                        text(&self.reference_level, o),
                        text(&self.landlord_level, landlord),
                    ],
                )
            })
            .collect()
    }

    /// Operations, lines and dwellings held (the summary's counts of the register).
    pub fn counts(&self) -> [u64; 3] {
        let dwellings: i64 = self.c.l_dwellings.iter().sum();
        [
            self.c.op_id.len() as u64,
            self.c.l_op.len() as u64,
            dwellings.max(0) as u64,
        ]
    }

    /// The aggregate of [`crate::query::aggregate_sql`] for this filter and these dimensions, or
    /// `None` when the cube cannot answer (keys too wide): ask SQL then.
    pub fn aggregate(self: &Arc<Self>, f: &LineFilter, dims: &[Dim]) -> Option<Grouped> {
        // (The cube holds today's communes: the communes as written are the database's.)
        if f.communes_as_written {
            return None;
        }
        // A group's key: its ranks in mixed radix (the first dimension weighs most, so keys sort
        // as the groups do). A dimension that adds nothing to the order is read from another
        // one's rank: a commune's name right after its code (one name per code), a dimension of
        // the operation after the operation's id.
        let mut radix: Vec<(Source, u64)> = Vec::new(); // source, values
        let mut reads: Vec<(Source, Read)> = Vec::with_capacity(dims.len());
        let mut op_part: Option<usize> = None;
        for (k, d) in dims.iter().enumerate() {
            let src = self.source(*d);
            if *d == Dim::CommuneName && k > 0 && dims[k - 1] == Dim::CommuneCode {
                reads.push((Source::CommuneNameOfCode, reads[k - 1].1));
                continue;
            }
            if let Some(p) = op_part
                && src.of_operation()
            {
                reads.push((src, Read::OfOperation(p)));
                continue;
            }
            if matches!(src, Source::OperationId) {
                op_part = Some(radix.len());
            }
            reads.push((src, Read::Part(radix.len())));
            radix.push((src, self.values(src).max(1) as u64));
        }
        let mut weights = vec![0u64; radix.len()];
        let mut space: u64 = 1;
        for (w, (_, values)) in weights.iter_mut().zip(&radix).rev() {
            *w = space;
            space = space.checked_mul(*values)?;
        }
        let parts: Vec<Part<'_>> = radix
            .iter()
            .zip(&weights)
            .map(|((src, _), w)| self.part(*src, *w))
            .collect();
        let key_of = |i: usize| -> u64 { parts.iter().map(|p| p.of(&self.c.l_op, i)).sum() };
        let filter = self.compile(f);
        // The order of the lines (commune, operation, year): a place per possible group by
        // those parts first keeps the places a commune's lines reach close together.
        let mut near: Vec<usize> = (0..radix.len()).collect();
        near.sort_by_key(|p| radix[*p].0.line_order());
        let in_line_order = near.iter().enumerate().all(|(a, b)| a == *b);
        // Few possible groups: each group's place among the sums (four bytes a possible group),
        // the sums in the order groups are met. The places are the keys when the key's parts
        // follow the lines' order: the sums are then read back in key order. Otherwise (a
        // project, then a commune: one commune's lines would reach places far apart) the places
        // follow the lines' order, each group's first line gives its key, and the groups met
        // are sorted by key. Led by the commune (the lines' first order), the places are those
        // of one commune at a time (a window, small enough to stay in the processor's cache,
        // emptied when the commune changes), not of every commune at once.
        let reordered: Option<Windows<'_>> = (space <= DENSE_GROUPS && !in_line_order).then(|| {
            let mut weight = 1u64;
            let mut by_place = Vec::with_capacity(near.len());
            for p in near.iter().rev() {
                by_place.push(self.part(radix[*p].0, weight));
                weight *= radix[*p].1;
            }
            let leading = radix[near[0]].0;
            if leading.line_order() == 0 && by_place.len() > 1 {
                let window = by_place.pop().map_or(space, |p| p.weight);
                Windows {
                    lead: Some(self.part(leading, 1)),
                    parts: by_place,
                    size: window,
                }
            } else {
                Windows {
                    lead: None,
                    parts: by_place,
                    size: space,
                }
            }
        });
        // The sums of the groups of the lines `within` keeps, in key order.
        let sum_lines = |filter: &Compiled, within: Range<usize>| -> Vec<(u64, [i64; 3])> {
            if let Some(w) = &reordered {
                let place_of =
                    |i: usize| -> u64 { w.parts.iter().map(|p| p.of(&self.c.l_op, i)).sum() };
                let mut at = vec![u32::MAX; w.size as usize];
                // The window's groups: first line, place, sums; then every group, by key.
                let mut met: Vec<(usize, u32, [i64; 3])> = Vec::new();
                let mut out: Vec<(u64, [i64; 3])> = Vec::new();
                let mut flush = |met: &mut Vec<(usize, u32, [i64; 3])>, at: &mut [u32]| {
                    for (i, place, g) in met.drain(..) {
                        at[place as usize] = u32::MAX;
                        out.push((key_of(i), g));
                    }
                };
                let mut current = u64::MAX;
                self.each_kept(filter, within, |i| {
                    if let Some(lead) = &w.lead {
                        let l = lead.of(&self.c.l_op, i);
                        if l != current {
                            flush(&mut met, &mut at);
                            current = l;
                        }
                    }
                    let place = place_of(i) as usize;
                    let slot = &mut at[place];
                    if *slot == u32::MAX {
                        *slot = met.len() as u32;
                        met.push((i, place as u32, [0; 3]));
                    }
                    let g = &mut met[*slot as usize].2;
                    g[0] += self.c.l_dwellings[i];
                    g[1] += 1;
                    g[2] += self.c.l_cost[i];
                });
                flush(&mut met, &mut at);
                // (A commune met again, by the next nature's list, gives its groups again.)
                merge_runs(&mut out);
                out
            } else if space <= DENSE_GROUPS {
                let place_of =
                    |i: usize| -> u64 { parts.iter().map(|p| p.of(&self.c.l_op, i)).sum() };
                let mut at = vec![u32::MAX; space as usize];
                let mut met: Vec<[i64; 3]> = Vec::new();
                self.each_kept(filter, within, |i| {
                    let slot = &mut at[place_of(i) as usize];
                    if *slot == u32::MAX {
                        *slot = met.len() as u32;
                        met.push([0; 3]);
                    }
                    let g = &mut met[*slot as usize];
                    g[0] += self.c.l_dwellings[i];
                    g[1] += 1;
                    g[2] += self.c.l_cost[i];
                });
                let mut out = Vec::with_capacity(met.len());
                for (k, slot) in at.iter().enumerate() {
                    if let Some(g) = met.get(*slot as usize) {
                        out.push((k as u64, *g));
                    }
                }
                out
            } else {
                // Lines of one group mostly follow one another (see `finish`): sum a run, keep
                // the runs, then sort them by key and merge equal keys (a stable sort takes the
                // runs' order as it comes); merged along the way, so that they never outgrow
                // twice the groups.
                let mut runs: Vec<(u64, [i64; 3])> = Vec::new();
                let mut merged = 0usize;
                let mut run: Option<(u64, [i64; 3])> = None;
                self.each_kept(filter, within, |i| {
                    let key = key_of(i);
                    let line = [self.c.l_dwellings[i], 1, self.c.l_cost[i]];
                    match &mut run {
                        Some((k, sums)) if *k == key => {
                            for (s, v) in sums.iter_mut().zip(line) {
                                *s += v;
                            }
                        }
                        _ => {
                            if let Some(done) = run.replace((key, line)) {
                                runs.push(done);
                                if runs.len() >= 2 * merged.max(1 << 16) {
                                    merge_runs(&mut runs);
                                    merged = runs.len();
                                }
                            }
                        }
                    }
                });
                runs.extend(run);
                merge_runs(&mut runs);
                runs
            }
        };
        let mut sums = match &filter {
            None => Vec::new(),
            Some(filter) => {
                match self.scan_in_halves(self.halves(filter), |w| sum_lines(filter, w)) {
                    (first, None) => first,
                    (first, Some(second)) => merge_sorted(first, second),
                }
            }
        };
        if dims.is_empty() && sums.is_empty() {
            // An aggregate without GROUP BY always answers one row.
            sums.push((0, [0; 3]));
        }
        let mut keys = Vec::with_capacity(sums.len() * reads.len());
        let mut out = Vec::with_capacity(sums.len());
        for (key, g) in sums {
            let part = |p: usize| ((key / weights[p]) % radix[p].1) as u32;
            for (src, read) in &reads {
                keys.push(match read {
                    Read::Part(p) => part(*p),
                    Read::OfOperation(p) => self.operation_rank(*src, part(*p) as usize),
                });
            }
            out.push(g);
        }
        let texts = CubeTexts {
            cube: Arc::clone(self),
            sources: reads.iter().map(|(s, _)| *s).collect(),
        };
        Some(Grouped::new(dims.len(), Arc::new(texts), keys, out))
    }

    /// Where a part of a key of weight `weight` reads its value, line by line.
    fn part(&self, src: Source, weight: u64) -> Part<'_> {
        let c = &self.c;
        let (column, ranks): (Column<'_>, Option<&[u32]>) = match src {
            Source::CommuneCode | Source::CommuneNameOfCode => (
                Column::Line32(&c.l_commune),
                Some(&self.commune_code_level.rank),
            ),
            Source::CommuneName => (
                Column::Line32(&c.l_commune),
                Some(&self.commune_name_level.rank),
            ),
            Source::Year => (Column::Year(&c.l_year, self.year_min), None),
            Source::Vocab(k) => (
                Column::Line8(&c.l_vocab[k]),
                Some(&self.vocab_levels[k].rank),
            ),
            Source::Landlord => (
                Column::Line32(&c.l_landlord),
                Some(&self.landlord_level.rank),
            ),
            Source::Programme => (
                Column::Line32(&c.l_programme),
                Some(&self.programme_level.rank),
            ),
            Source::Project => (Column::Line32(&c.l_project), Some(&self.project_level.rank)),
            Source::Reference => (Column::Operation, Some(&self.reference_level.rank)),
            Source::OperationId => (Column::Operation, None),
            Source::Label => (Column::Operation, Some(&self.label_level.rank)),
        };
        Part {
            column,
            weight,
            weighted: ranks.map(|r| r.iter().map(|v| u64::from(*v) * weight).collect()),
        }
    }

    /// The rank of `src` (a dimension of the operation) for operation `op` (its index).
    fn operation_rank(&self, src: Source, op: usize) -> u32 {
        let c = &self.c;
        let commune = || c.op_commune.get(op).map_or(0, |v| *v as usize);
        let of = |l: &Level, i: usize| l.rank.get(i).copied().unwrap_or(0);
        match src {
            Source::CommuneCode | Source::CommuneNameOfCode => {
                of(&self.commune_code_level, commune())
            }
            Source::CommuneName => of(&self.commune_name_level, commune()),
            Source::Landlord => of(
                &self.landlord_level,
                c.op_landlord.get(op).map_or(0, |v| *v as usize),
            ),
            Source::Programme => of(
                &self.programme_level,
                c.op_programme.get(op).map_or(0, |v| *v as usize),
            ),
            Source::Project => of(
                &self.project_level,
                c.op_project.get(op).map_or(0, |v| *v as usize),
            ),
            Source::Reference => of(&self.reference_level, op),
            Source::Label => of(&self.label_level, op),
            Source::OperationId => op as u32,
            Source::Year | Source::Vocab(_) => 0,
        }
    }

    /// Call `f` with every line of `within` that `filter` keeps, in order. With a list of
    /// operations, only their lines are read; with a programme, only that programme's lines (a
    /// programme is often a small part of the register).
    fn each_kept(&self, filter: &Compiled, within: Range<usize>, mut f: impl FnMut(usize)) {
        // A list of lines (in order) cut to those within.
        let clip = |list: &[u32]| -> Range<usize> {
            list.partition_point(|i| (*i as usize) < within.start)
                ..list.partition_point(|i| (*i as usize) < within.end)
        };
        if let Some(ops) = &filter.operations {
            let mut ranges: Vec<(u32, u32)> =
                ops.iter().map(|o| self.op_lines[*o as usize]).collect();
            ranges.sort_unstable();
            ranges.dedup();
            let lines = ranges
                .into_iter()
                .flat_map(|(a, b)| (a as usize).max(within.start)..(b as usize).min(within.end));
            return self.read_kept(filter, lines, f);
        }
        if let Some(p) = filter.programme {
            let list = self
                .programme_lines
                .get(p as usize)
                .map_or(&[][..], Vec::as_slice);
            let list = &list[clip(list)];
            return self.read_kept(filter, list.iter().map(|i| *i as usize), f);
        }
        // (Through the lists only when they hold less than half the lines: a straight scan
        // reads faster per line.)
        if let Some(lists) = self.nature_lists(filter) {
            let lines = lists
                .into_iter()
                .flat_map(|l| &l[clip(l)])
                .map(|i| *i as usize);
            return self.read_kept(filter, lines, f);
        }
        if filter.on_year_and_nature_only() {
            // The whole register's reports: two columns read, no other test per line.
            let years = &self.c.l_year[within.clone()];
            let natures = &self.c.l_vocab[NATURE][within.clone()];
            let (from, to) = (filter.year_from, filter.year_to);
            let first = within.start;
            match &filter.natures {
                Some(keep) => {
                    for (i, (y, n)) in years.iter().zip(natures).enumerate() {
                        if *y >= from && *y <= to && keep[usize::from(*n)] {
                            f(first + i);
                        }
                    }
                }
                None => {
                    for (i, y) in years.iter().enumerate() {
                        if *y >= from && *y <= to {
                            f(first + i);
                        }
                    }
                }
            }
            return;
        }
        for i in within {
            if filter.keeps(self, i) {
                f(i);
            }
        }
    }

    /// The lists of the natures `filter` keeps, when they hold less than half the lines.
    fn nature_lists(&self, filter: &Compiled) -> Option<Vec<&[u32]>> {
        let natures = filter.natures.as_ref()?;
        let lists: Vec<&[u32]> = self
            .nature_lines
            .iter()
            .zip(natures)
            .filter_map(|(list, keep)| keep.then_some(list.as_slice()))
            .collect();
        (2 * lists.iter().map(|l| l.len()).sum::<usize>() < self.c.l_op.len()).then_some(lists)
    }

    /// Where a scan under `filter` is cut in two, each half read by a thread of its own: at
    /// the start of the operation whose lines hold the middle of those it reads (a programme's
    /// lines may all be in one part of the register), when it reads at least
    /// [`SHARED_SCAN_LINES`]; `None` to read them in one.
    fn halves(&self, filter: &Compiled) -> Option<usize> {
        let n = self.c.l_op.len();
        let lists: Option<Vec<&[u32]>> = match (&filter.operations, filter.programme) {
            (Some(_), _) => None,
            (None, Some(p)) => Some(vec![
                self.programme_lines
                    .get(p as usize)
                    .map_or(&[][..], Vec::as_slice),
            ]),
            (None, None) => self.nature_lists(filter),
        };
        // How many of the lines it reads come before line `m`.
        let before = |m: usize| -> usize {
            if let Some(ops) = &filter.operations {
                ops.iter()
                    .map(|o| {
                        let (a, b) = self.op_lines[*o as usize];
                        (b as usize).min(m).saturating_sub(a as usize)
                    })
                    .sum()
            } else if let Some(lists) = &lists {
                lists
                    .iter()
                    .map(|l| l.partition_point(|i| (*i as usize) < m))
                    .sum()
            } else {
                m
            }
        };
        let read = before(n);
        if n == 0 || read < SHARED_SCAN_LINES.load(Ordering::Relaxed) {
            return None;
        }
        // The first line with half of them before it.
        let (mut low, mut high) = (0, n);
        while low < high {
            let m = (low + high) / 2;
            if before(m) < read / 2 {
                low = m + 1;
            } else {
                high = m;
            }
        }
        let middle = self.op_lines[self.c.l_op[low.min(n - 1)] as usize].0 as usize;
        (middle > 0 && middle < n).then_some(middle)
    }

    /// `scan` of the lines before `middle` and of those after it, each on a thread of its own
    /// (see [`Cube::halves`]), or of every line at once.
    fn scan_in_halves<R: Send>(
        &self,
        middle: Option<usize>,
        scan: impl Fn(Range<usize>) -> R + Sync,
    ) -> (R, Option<R>) {
        let n = self.c.l_op.len();
        match middle {
            None => (scan(0..n), None),
            Some(m) => std::thread::scope(|s| {
                // (Without a second thread — the system refusing one — the second half after
                // the first.)
                let second = std::thread::Builder::new().spawn_scoped(s, || scan(m..n));
                let first = scan(0..m);
                let second = match second {
                    Ok(h) => h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                    Err(_) => scan(m..n),
                };
                (first, Some(second))
            }),
        }
    }

    /// Call `f` with each line `filter` keeps and its operation's item in `by_place` (one item
    /// per operation with lines, in the lines' order: see `op_place`), in two halves at once
    /// for a large scan (each half writes its own operations' items).
    fn each_kept_by_place<T: Send>(
        &self,
        filter: &Compiled,
        by_place: &mut [T],
        f: impl Fn(&mut T, usize) + Sync,
    ) {
        let n = self.c.l_op.len();
        let place = |i: usize| self.line_place[i] as usize;
        match self.halves(filter) {
            None => self.each_kept(filter, 0..n, |i| f(&mut by_place[place(i)], i)),
            Some(m) => {
                let cut = place(m);
                let (first, second) = by_place.split_at_mut(cut);
                let second_half = |second: &mut [T]| {
                    self.each_kept(filter, m..n, |i| f(&mut second[place(i) - cut], i))
                };
                let spawned = std::thread::scope(|s| {
                    let spawned = std::thread::Builder::new()
                        .spawn_scoped(s, || second_half(&mut *second))
                        .is_ok();
                    self.each_kept(filter, 0..m, |i| f(&mut first[place(i)], i));
                    spawned
                });
                // (Without a second thread — the system refusing one — after the first half.)
                if !spawned {
                    second_half(second);
                }
            }
        }
    }

    /// Call `f` with those of `lines` that `filter` keeps.
    #[inline]
    fn read_kept(
        &self,
        filter: &Compiled,
        lines: impl Iterator<Item = usize>,
        mut f: impl FnMut(usize),
    ) {
        for i in lines {
            if filter.keeps(self, i) {
                f(i);
            }
        }
    }

    /// [`crate::Store::operation_totals`], or `None` when the cube cannot answer (text search).
    pub fn operation_totals(&self, f: &LineFilter) -> Option<Vec<crate::OperationTotal>> {
        if f.communes_as_written {
            return None;
        }
        // Each operation's sums at its place in the lines' order (an operation's lines follow
        // one another, see `finish`): written in the order lines are read, then read back in id
        // order (an operation's index is its rank by id).
        let mut by_place = vec![[0i64; 3]; self.op_place.len()];
        if let Some(filter) = self.compile(f) {
            self.each_kept_by_place(&filter, &mut by_place, |g, i| {
                g[0] += self.c.l_dwellings[i];
                g[1] += 1;
                g[2] += self.c.l_cost[i];
            });
        }
        let mut out = Vec::new();
        for (o, place) in self.op_place.iter().enumerate() {
            if let Some([dwellings, lines, cost_cents]) = by_place.get(*place as usize)
                && *lines > 0
            {
                out.push(crate::OperationTotal {
                    operation_id: self.c.op_id[o],
                    commune_code: self.commune_code_static[self.c.op_commune[o] as usize],
                    dwellings: *dwellings,
                    lines: *lines,
                    cost_cents: *cost_cents,
                });
            }
        }
        Some(out)
    }

    /// [`crate::Store::operations_met`]: the operations with a line `f` keeps (id, commune), in
    /// id order, without their sums (a byte per operation marks it met).
    pub fn operations_met(&self, f: &LineFilter) -> Vec<(i64, &'static str)> {
        // (A byte per operation with lines, in the lines' order, as `operation_totals`.)
        let mut met = vec![false; self.op_place.len()];
        if let Some(filter) = self.compile(f) {
            self.each_kept_by_place(&filter, &mut met, |m, _| *m = true);
        }
        self.op_place
            .iter()
            .enumerate()
            .filter(|(_, place)| met.get(**place as usize).is_some_and(|m| *m))
            .map(|(o, _)| {
                (
                    self.c.op_id[o],
                    self.commune_code_static[self.c.op_commune[o] as usize],
                )
            })
            .collect()
    }

    /// A text search answered in memory: the filter without its text, naming instead the
    /// operations it keeps (at most `most`; `None` when there is no text or more operations).
    pub fn text_search(&self, f: &LineFilter, most: usize) -> Option<LineFilter> {
        f.text.as_deref().filter(|t| !t.is_empty())?;
        let ids: Vec<i64> = self
            .operation_totals(f)?
            .into_iter()
            .map(|t| t.operation_id)
            .collect();
        if ids.len() > most {
            return None;
        }
        let mut without = f.clone();
        without.text = None;
        without.operations = Some(ids);
        Some(without)
    }

    /// The operations the text search keeps: the key `needle` (letters and digits) inside the
    /// operation's search key, or its commune's, project's or quartier's name key — what
    /// [`crate::query`]'s `LIKE '%…%'` keeps.
    fn text_matches(&self, needle: &str) -> Vec<bool> {
        let hit =
            |keys: &[String]| -> Vec<bool> { keys.iter().map(|k| k.contains(needle)).collect() };
        let (communes, projects, quartiers) = (
            hit(&self.search.communes),
            hit(&self.search.projects),
            hit(&self.search.quartiers),
        );
        let c = &self.c;
        let mut keep: Vec<bool> = (0..c.op_id.len())
            .map(|o| {
                communes[c.op_commune[o] as usize]
                    || (c.op_project[o] != 0 && projects[c.op_project[o] as usize])
                    || (c.op_quartier[o] != 0 && quartiers[c.op_quartier[o] as usize])
            })
            .collect();
        for at in memchr::memmem::find_iter(c.op_search.as_bytes(), needle.as_bytes()) {
            let op = c.op_search_end.partition_point(|end| *end <= at);
            if let Some(k) = keep.get_mut(op) {
                *k = true;
            }
        }
        keep
    }

    fn source(&self, d: Dim) -> Source {
        match d {
            Dim::CommuneCode => Source::CommuneCode,
            Dim::CommuneName => Source::CommuneName,
            Dim::Year => Source::Year,
            Dim::Nature => Source::Vocab(NATURE),
            Dim::Site => Source::Vocab(SITE),
            Dim::Product => Source::Vocab(PRODUCT),
            Dim::Financing => Source::Vocab(FINANCING),
            Dim::Stage => Source::Vocab(STAGE),
            Dim::Landlord => Source::Landlord,
            Dim::Programme => Source::Programme,
            Dim::Project => Source::Project,
            Dim::Operation => Source::Reference,
            Dim::OperationId => Source::OperationId,
            Dim::Label => Source::Label,
        }
    }

    /// How many ranks a source has.
    fn values(&self, src: Source) -> usize {
        match src {
            Source::CommuneCode | Source::CommuneNameOfCode => self.commune_code_level.text.len(),
            Source::CommuneName => self.commune_name_level.text.len(),
            Source::Year => self.year_text.len(),
            Source::Vocab(k) => self.vocab_levels[k].text.len(),
            Source::Landlord => self.landlord_level.text.len(),
            Source::Programme => self.programme_level.text.len(),
            Source::Project => self.project_level.text.len(),
            Source::Reference => self.reference_level.text.len(),
            Source::OperationId => self.c.op_id.len(),
            Source::Label => self.label_level.text.len(),
        }
    }

    /// The text of rank `rank` of `src` ('' when there is none).
    fn text(&self, src: Source, rank: u32) -> &str {
        let r = rank as usize;
        fn listed(t: &[Arc<str>], r: usize) -> &str {
            t.get(r).map_or("", |t| &**t)
        }
        match src {
            Source::CommuneCode => listed(&self.commune_code_level.text, r),
            Source::CommuneName => listed(&self.commune_name_level.text, r),
            Source::CommuneNameOfCode => listed(&self.name_of_code, r),
            Source::Year => listed(&self.year_text, r),
            Source::Vocab(k) => listed(&self.vocab_levels[k].text, r),
            Source::Landlord => listed(&self.landlord_level.text, r),
            Source::Programme => listed(&self.programme_level.text, r),
            Source::Project => listed(&self.project_level.text, r),
            Source::Reference => listed(&self.reference_level.text, r),
            Source::OperationId => self.op_id_text.get(r),
            Source::Label => listed(&self.label_level.text, r),
        }
    }

    /// The filter on indexes; `None` when no line can match.
    fn compile(&self, f: &LineFilter) -> Option<Compiled> {
        let both = |a: Option<u32>, b: Option<u32>| -> Result<Option<u32>, ()> {
            match (a, b) {
                (Some(x), Some(y)) if x != y => Err(()),
                (Some(x), _) | (None, Some(x)) => Ok(Some(x)),
                (None, None) => Ok(None),
            }
        };
        let named = |n: &Named, id: Option<i64>| wanted(id.map(|v| n.find(v)));
        let scope_landlord = match &f.scope {
            Some(LineScope::Landlord(id)) => Some(*id),
            _ => None,
        };
        let scope_commune = match &f.scope {
            Some(LineScope::Commune(c)) => Some(c.as_str()),
            _ => None,
        };
        let landlord = both(
            named(&self.c.landlords, f.landlord_id).ok()?,
            named(&self.c.landlords, scope_landlord).ok()?,
        )
        .ok()?;
        let programme = named(&self.c.programmes, f.programme_id).ok()?;
        let project = named(&self.c.projects, f.project_id).ok()?;
        let quartier = named(&self.c.quartiers, f.quartier_id).ok()?;
        let commune_of = |c: Option<&str>| wanted(c.map(|c| self.c.communes.find(c)));
        let commune = both(
            commune_of(f.commune.as_ref().map(|c| c.as_str())).ok()?,
            commune_of(scope_commune).ok()?,
        )
        .ok()?;
        let epci = f.epci.as_ref().map(|s| {
            self.commune_epci
                .iter()
                .map(|e| e.as_deref() == Some(s.as_str()))
                .collect::<Vec<bool>>()
        });
        let operation = wanted(
            f.operation_id
                .map(|id| self.c.op_id.binary_search(&id).ok().map(|i| i as u32)),
        )
        .ok()?;
        let code = |k: usize, c: Option<&'static str>| wanted(c.map(|c| self.c.vocab[k].find(c)));
        let stage = code(STAGE, f.stage.map(|s| s.code())).ok()?;
        let product = code(PRODUCT, f.product.map(|p| p.code())).ok()?;
        // Natures: the single one and the list both apply.
        let mut natures: Option<Vec<bool>> = None;
        let mut narrow = |list: Vec<Option<u32>>| {
            let mut keep = vec![false; self.c.vocab[NATURE].values.len()];
            for i in list.into_iter().flatten() {
                keep[i as usize] = true;
            }
            natures = Some(match natures.take() {
                None => keep,
                Some(prev) => prev.iter().zip(&keep).map(|(a, b)| *a && *b).collect(),
            });
        };
        if let Some(n) = f.nature {
            narrow(vec![self.c.vocab[NATURE].find(n.code())]);
        }
        if !f.natures.is_empty() {
            narrow(
                f.natures
                    .iter()
                    .map(|n| self.c.vocab[NATURE].find(n.code()))
                    .collect(),
            );
        }
        let financings = (!f.financings.is_empty()).then(|| {
            let mut keep = vec![false; self.c.vocab[FINANCING].values.len()];
            for v in &f.financings {
                if let Some(i) = self.c.vocab[FINANCING].find(v.code()) {
                    keep[i as usize] = true;
                }
            }
            keep
        });
        let operations = f.operations.as_ref().map(|ids| {
            ids.iter()
                .filter_map(|id| self.c.op_id.binary_search(id).ok().map(|i| i as u32))
                .collect::<Vec<u32>>()
        });
        let clamp = |y: i32| y.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        let text = f
            .text
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| self.text_matches(t));
        Some(Compiled {
            text,
            landlord,
            programme,
            project,
            quartier,
            commune,
            epci,
            operation,
            stage: stage.map(|v| v as u8),
            product: product.map(|v| v as u8),
            natures,
            financings,
            operations,
            year_from: f.year_from.map(clamp).unwrap_or(i16::MIN),
            year_to: f.year_to.map(clamp).unwrap_or(i16::MAX),
            by_operation: operation.is_some()
                || f.text.as_deref().is_some_and(|t| !t.is_empty())
                || project.is_some()
                || quartier.is_some(),
        })
    }
}

/// A [`LineFilter`] turned into indexes of one cube.
struct Compiled {
    /// Operations the text search keeps.
    text: Option<Vec<bool>>,
    landlord: Option<u32>,
    programme: Option<u32>,
    project: Option<u32>,
    quartier: Option<u32>,
    commune: Option<u32>,
    epci: Option<Vec<bool>>,
    operation: Option<u32>,
    stage: Option<u8>,
    product: Option<u8>,
    natures: Option<Vec<bool>>,
    financings: Option<Vec<bool>>,
    /// Only these operations' lines (indexes, as [`Cube::each_kept`] reads them).
    operations: Option<Vec<u32>>,
    year_from: i16,
    year_to: i16,
    /// Whether a condition is on the operation's own columns (read through its index).
    by_operation: bool,
}

impl Compiled {
    /// Whether only the year and the nature are tested (see [`Compiled::keeps`]; every field
    /// is named, so that a new condition cannot be forgotten here).
    fn on_year_and_nature_only(&self) -> bool {
        let Compiled {
            text,
            landlord,
            programme,
            project,
            quartier,
            commune,
            epci,
            operation,
            stage,
            product,
            natures: _,
            financings,
            operations,
            year_from: _,
            year_to: _,
            by_operation,
        } = self;
        text.is_none()
            && landlord.is_none()
            && programme.is_none()
            && project.is_none()
            && quartier.is_none()
            && commune.is_none()
            && epci.is_none()
            && operation.is_none()
            && stage.is_none()
            && product.is_none()
            && financings.is_none()
            && operations.is_none()
            && !by_operation
    }

    #[inline]
    fn keeps(&self, c: &Cube, i: usize) -> bool {
        let y = c.c.l_year[i];
        if y < self.year_from || y > self.year_to {
            return false;
        }
        if let Some(n) = &self.natures
            && !n[c.c.l_vocab[NATURE][i] as usize]
        {
            return false;
        }
        if let Some(v) = &self.financings
            && !v[c.c.l_vocab[FINANCING][i] as usize]
        {
            return false;
        }
        if self.stage.is_some_and(|s| c.c.l_vocab[STAGE][i] != s)
            || self.product.is_some_and(|p| c.c.l_vocab[PRODUCT][i] != p)
        {
            return false;
        }
        if self.landlord.is_some_and(|x| c.c.l_landlord[i] != x)
            || self.commune.is_some_and(|x| c.c.l_commune[i] != x)
            || self.programme.is_some_and(|x| c.c.l_programme[i] != x)
        {
            return false;
        }
        if let Some(e) = &self.epci
            && !e[c.c.l_commune[i] as usize]
        {
            return false;
        }
        if self.by_operation {
            let op = c.c.l_op[i];
            let o = op as usize;
            if self.operation.is_some_and(|x| x != op)
                || self.text.as_ref().is_some_and(|t| !t[o])
                || self.project.is_some_and(|x| c.c.op_project[o] != x)
                || self.quartier.is_some_and(|x| c.c.op_quartier[o] != x)
            {
                return false;
            }
        }
        true
    }
}

/// The newest cube of a store, reloaded when the register's version has moved.
#[derive(Default)]
pub struct CubeCache {
    current: Mutex<Option<Arc<Cube>>>,
    loading: Mutex<()>,
}

impl CubeCache {
    /// The cube for the register at `version` (read just before), loading it with `load` when the
    /// one held is older. Concurrent callers wait for one load.
    pub fn get<E>(
        &self,
        version: i64,
        load: impl FnOnce() -> Result<Cube, E>,
    ) -> Result<Arc<Cube>, E> {
        let fresh = |slot: &Option<Arc<Cube>>| {
            slot.as_ref()
                .filter(|c| c.version == version)
                .map(Arc::clone)
        };
        if let Some(c) = fresh(&self.current.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok(c);
        }
        let _one = self.loading.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = fresh(&self.current.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok(c);
        }
        let cube = Arc::new(load()?);
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&cube));
        Ok(cube)
    }
}

/// The SQL an adapter runs to fill a [`CubeBuilder`] (the same in both dialects), in this order,
/// inside one read transaction.
pub mod sql {
    /// The register's version (migration 0007).
    pub const VERSION: &str = "SELECT version FROM register_version WHERE id = 1";
    /// Increment the version: appended to every write that changes what the cube holds.
    pub const BUMP: &str = "UPDATE register_version SET version = version + 1 WHERE id = 1;";
    /// Count one audited write (run with its audit record, in its transaction).
    pub const COUNT_WRITE: &str =
        "UPDATE register_version SET write_count = write_count + 1 WHERE id = 1";
    /// What [`crate::RegisterStore::data_stamp`] reads: the version and the count of audited writes.
    pub const STAMP: &str = "SELECT version, write_count FROM register_version WHERE id = 1";
    pub const LANDLORDS: &str = "SELECT id, name FROM organisations";
    pub const PROGRAMMES: &str = "SELECT id, name FROM programmes";
    pub const PROJECTS: &str = "SELECT id, name FROM projects";
    pub const QUARTIERS: &str = "SELECT id, name FROM quartiers";
    pub const OPERATIONS: &str = "SELECT id, landlord_id, programme_id, project_id, quartier_id, commune_code, reference, label, coalesce(search_key, '') FROM operations ORDER BY id";
    pub const LINES: &str = "SELECT operation_id, year, nature, site, product, financing, stage, dwellings, cost_cents FROM operation_lines";
}

/// Whether stores keep a cube: yes unless `LOGIS_CUBE=0` (to measure the database alone).
pub fn enabled() -> bool {
    std::env::var("LOGIS_CUBE").map_or(true, |v| v != "0")
}
