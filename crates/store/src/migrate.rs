//! Migrations: each adapter embeds its own ordered SQL files; both trees must describe the same
//! schema (the schema-parity test of the conformance crate checks it on live databases).

/// One migration step.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The names of the migrations, in order, for the parity test.
pub fn names(m: &[Migration]) -> Vec<(i64, &'static str)> {
    m.iter().map(|m| (m.version, m.name)).collect()
}
