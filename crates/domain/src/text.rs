//! Normalised keys for names people type: case, accents, hyphens, spaces and punctuation ignored.

use unicode_normalization::UnicodeNormalization;

/// The search key of a name: lower case, accents removed, only letters and digits kept.
/// `"Saint Pol sur mer"`, `"SAINT-POL-SUR-MER"` and `"Saint-Pol-sur-Mer"` share one key.
pub fn name_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    if s.is_ascii() {
        // Fast path (most cells): no decomposition needed.
        out.extend(
            s.bytes()
                .filter(u8::is_ascii_alphanumeric)
                .map(|b| char::from(b.to_ascii_lowercase())),
        );
        return out;
    }
    for c in s.nfd() {
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            c if c.is_alphanumeric() => {
                for l in c.to_lowercase() {
                    out.push(l);
                }
            }
            _ => {}
        }
    }
    out
}

/// What the text search of operations looks in: the keys of the reference and of the label,
/// separated by a space so that a search never matches across the two.
pub fn operation_search_key(reference: &str, label: Option<&str>) -> String {
    let mut k = name_key(reference);
    k.push(' ');
    k.push_str(&name_key(label.unwrap_or("")));
    k
}

/// A column header key: like [`name_key`] but words are joined by `_` ("Date stade" → "date_stade").
pub fn header_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_sep = false;
    for c in s.trim_start_matches('\u{feff}').nfd() {
        if c.is_alphanumeric() {
            if pending_sep && !out.is_empty() {
                out.push('_');
            }
            pending_sep = false;
            for l in c.to_lowercase() {
                out.push(l);
            }
        } else if c == ' ' || c == '_' || c == '-' || c == '\'' || c == '.' || c == '/' {
            pending_sep = true;
        }
    }
    out
}

/// The closest names to `wanted` among `candidates` (best first, at most `max`), for
/// "did you mean" suggestions in French error messages.
pub fn closest<'a, I>(wanted: &str, candidates: I, max: usize) -> Vec<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let key = name_key(wanted);
    if key.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| {
            let ck = name_key(c);
            let mut score = strsim::jaro_winkler(&key, &ck);
            if ck.contains(&key) || key.contains(&ck) {
                score = score.max(0.9);
            }
            (score, c)
        })
        .filter(|(s, _)| *s >= 0.75)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, c) in scored {
        if !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
        if out.len() == max {
            break;
        }
    }
    out
}

/// A form's text field, trimmed: missing when `needed` and empty, or longer than `max`
/// characters, is pushed to `errors` as (field, French message).
pub fn form_text(
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    v: &str,
    max: usize,
    needed: bool,
) -> String {
    let t = v.trim();
    if needed && t.is_empty() {
        errors.push((field, "valeur obligatoire manquante".to_string()));
    } else if t.chars().count() > max {
        errors.push((field, format!("texte trop long ({max} caractères au plus)")));
    }
    t.to_string()
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_accents_hyphens_spaces() {
        assert_eq!(name_key("Saint Pol sur mer"), "saintpolsurmer");
        assert_eq!(name_key("SAINT-POL-SUR-MER"), "saintpolsurmer");
        assert_eq!(
            name_key("Téteghem-Coudekerque-Village"),
            "teteghemcoudekerquevillage"
        );
        assert_eq!(name_key("Saint-Georges-sur-l'Aa"), "saintgeorgessurlaa");
        assert_eq!(name_key("Œuvre"), "oeuvre");
        assert_eq!(name_key("GrandeSynthe"), name_key("Grande-Synthe"));
    }

    #[test]
    fn header_keys() {
        assert_eq!(header_key("\u{feff}Année"), "annee");
        assert_eq!(header_key(" Date stade "), "date_stade");
        assert_eq!(header_key("DATE_STADE"), "date_stade");
        assert_eq!(header_key("Coût"), "cout");
        assert_eq!(header_key("Référence"), "reference");
    }

    #[test]
    fn closest_names() {
        let known = ["Partenord Habitat", "Vilogia", "Flandre Opale Habitat"];
        assert_eq!(
            closest("Partenor", known, 3),
            vec!["Partenord Habitat".to_string()]
        );
        assert_eq!(closest("vilogia sa", known, 3), vec!["Vilogia".to_string()]);
        assert!(closest("zzz", known, 3).is_empty());
    }
}
