//! Timings of a long job's steps, printed on standard error when `LOGIS_PROFIL` is set (how the
//! import was profiled for issue 19: `LOGIS_PROFIL=1 logis-bench preparer FICHIER BASE`).

use std::time::Instant;

/// The steps of one job: each [`Steps::mark`] prints the time since the previous one.
pub struct Steps {
    on: bool,
    last: Instant,
}

impl Steps {
    pub fn new() -> Self {
        Steps {
            on: std::env::var_os("LOGIS_PROFIL").is_some(),
            last: Instant::now(),
        }
    }

    /// The step that just ended.
    pub fn mark(&mut self, step: &str) {
        if self.on {
            let now = Instant::now();
            eprintln!("{step} : {:.3} s", (now - self.last).as_secs_f64());
            self.last = now;
        }
    }
}

impl Default for Steps {
    fn default() -> Self {
        Self::new()
    }
}
