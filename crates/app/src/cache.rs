//! Values computed from the store once and served again while nothing they read has changed.

use crate::Result;
use logis_store::Store;
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};

/// Values by key, valid at one [`logis_store::RegisterStore::data_stamp`] (the register's version and the count of
/// audited writes, both moved in the transaction of every write): the first request after a
/// write computes, the next ones with the same key are served what it computed. At most
/// `most` values are kept (then it starts again empty); a write empties it.
///
/// Values asked for with [`StampCache::get_kept`] are also remembered with how to compute them
/// (the last `most / 2` keys, at most [`WARM_MOST`]): after a write, [`StampCache::refresh`] (run by the server in the
/// background) computes them again, so that the pages read most stay served at once.
pub struct StampCache<T> {
    held: Mutex<Held<T>>,
    most: usize,
}

/// At most this many values are computed again after a write (each costs up to tens of
/// milliseconds on a large register: a write should not cost seconds of background work).
pub const WARM_MOST: usize = 16;

/// How to compute a value again from the store.
pub type Recipe<T> = Arc<dyn Fn(&dyn Store) -> Result<T> + Send + Sync>;

struct Held<T> {
    stamp: Option<(i64, i64)>,
    values: FxHashMap<String, Arc<T>>,
    /// The keys last asked for with their recipes, the most recent last.
    recipes: Vec<(String, Recipe<T>)>,
}

impl<T> Default for StampCache<T> {
    /// A cache of 64 values.
    fn default() -> Self {
        Self::new(64)
    }
}

impl<T> StampCache<T> {
    /// A cache of at most `most` values (a report page of 200 rows × 30 years holds about 2 MiB).
    pub fn new(most: usize) -> Self {
        StampCache {
            held: Mutex::new(Held {
                stamp: None,
                values: FxHashMap::default(),
                recipes: Vec::new(),
            }),
            most: most.max(1),
        }
    }

    /// The value of `key` computed at the store's current stamp, by `compute` if not yet.
    /// `key` must name everything `compute` depends on besides the store's data.
    pub fn get(
        &self,
        store: &dyn Store,
        key: String,
        compute: impl FnOnce() -> Result<T>,
    ) -> Result<Arc<T>> {
        if !enabled() {
            return Ok(Arc::new(compute()?));
        }
        let stamp = store.data_stamp()?;
        {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            if held.stamp != Some(stamp) {
                held.values.clear();
                held.stamp = Some(stamp);
            }
            if let Some(v) = held.values.get(&key) {
                return Ok(Arc::clone(v));
            }
        }
        // Computed outside the lock (other keys are served meanwhile). It read the store after
        // the stamp was read: kept only if the stamp is still the same afterwards (stamps only
        // grow, so nothing was written in between).
        let value = Arc::new(compute()?);
        let unchanged = store.data_stamp()? == stamp;
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if unchanged && held.stamp == Some(stamp) {
            if held.values.len() >= self.most {
                held.values.clear();
            }
            held.values.insert(key, Arc::clone(&value));
        }
        Ok(value)
    }
}

impl<T> StampCache<T> {
    /// [`StampCache::get`], remembering `recipe` to compute the value again after a write.
    pub fn get_kept(
        &self,
        store: &dyn Store,
        key: String,
        recipe: impl Fn(&dyn Store) -> Result<T> + Send + Sync + 'static,
    ) -> Result<Arc<T>> {
        let recipe: Recipe<T> = Arc::new(recipe);
        if enabled() {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            held.recipes.retain(|(k, _)| *k != key);
            held.recipes.push((key.clone(), Arc::clone(&recipe)));
            let keep = (self.most / 2).clamp(1, WARM_MOST);
            if held.recipes.len() > keep {
                let extra = held.recipes.len() - keep;
                held.recipes.drain(..extra);
            }
        }
        self.get(store, key, || recipe(store))
    }

    /// Compute again, at the store's current stamp, the remembered values it does not hold
    /// (those a write made stale), the most recently asked for first; stops when the store
    /// changes meanwhile; a value whose computation fails is forgotten. How many were computed.
    pub fn refresh(&self, store: &dyn Store) -> Result<usize> {
        if !enabled() {
            return Ok(0);
        }
        let stamp = store.data_stamp()?;
        let todo: Vec<(String, Recipe<T>)> = {
            let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            let fresh = held.stamp == Some(stamp);
            held.recipes
                .iter()
                .rev()
                .filter(|(k, _)| !fresh || !held.values.contains_key(k))
                .map(|(k, r)| (k.clone(), Arc::clone(r)))
                .collect()
        };
        let mut done = 0;
        for (key, recipe) in todo {
            if store.data_stamp()? != stamp {
                break;
            }
            match self.get(store, key.clone(), || recipe(store)) {
                Ok(_) => done += 1,
                // A value that cannot be computed (a programme deleted…) is forgotten: the next
                // request for it answers the error.
                Err(_) => self
                    .held
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .recipes
                    .retain(|(k, _)| *k != key),
            }
        }
        Ok(done)
    }
}

/// Whether values are kept: yes unless `LOGIS_CACHE=0` (to measure what a first request after a
/// write costs, every time).
pub fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("LOGIS_CACHE").map_or(true, |v| v != "0"))
}
