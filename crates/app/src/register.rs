//! The register's use cases: import a file (`import`), export the lines (`export`), save an
//! operation from the form (`edit`), read an operation's history (`history`), set a programme's targets (`targets`). Its reports are
//! `crate::reports`.

pub mod edit;
pub mod export;
pub mod history;
pub mod import;
pub mod targets;
