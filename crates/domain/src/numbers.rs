//! Numbers and dates as French users and French Excel write them.

use chrono::NaiveDate;

fn is_group_sep(c: char) -> bool {
    c == ' ' || c == '\u{a0}' || c == '\u{202f}' || c == '\''
}

/// Whole number: "1 200", "1200", "12,0", "+3", "-4" (the sign is kept; range checks are the caller's).
pub fn parse_integer(s: &str) -> Option<i64> {
    let t: String = s.trim().chars().filter(|c| !is_group_sep(*c)).collect();
    if t.is_empty() {
        return None;
    }
    // Excel often writes whole numbers as "12.0" or "12,0".
    let t = t
        .strip_suffix(",0")
        .or_else(|| t.strip_suffix(".0"))
        .unwrap_or(&t);
    let t = t
        .strip_suffix(",00")
        .or_else(|| t.strip_suffix(".00"))
        .unwrap_or(t);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    Some(if neg { -v } else { v })
}

/// An amount in euros to cents: "1 234 567,89 €", "1234567.89", "1.234.567,89", "10 625 458".
/// Returns `None` when the text is not a number (negative numbers come back negative).
pub fn parse_amount_cents(s: &str) -> Option<i64> {
    let mut t: String = s
        .trim()
        .trim_end_matches('€')
        .trim_end_matches("EUR")
        .trim()
        .chars()
        .filter(|c| !is_group_sep(*c))
        .collect();
    if t.is_empty() {
        return None;
    }
    let neg = t.starts_with('-');
    if neg || t.starts_with('+') {
        t.remove(0);
    }
    // The decimal mark is the last of ',' and '.' when it appears once; the other one (or a
    // repeated one) groups thousands: "1.234.567,89", "1,234,567.89", "1.234.567".
    let last_mark = t.rfind([',', '.']);
    let (int_part, frac_part) = match last_mark {
        Some(i) => {
            let mark = &t[i..=i];
            if t.matches(mark).count() > 1 {
                (t.replace(['.', ','], ""), String::new())
            } else {
                (t[..i].replace(['.', ','], ""), t[i + 1..].to_string())
            }
        }
        None => (t.clone(), String::new()),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    if int_part.len() > 13 || frac_part.len() > 6 {
        return None;
    }
    let euros: i64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let mut frac = frac_part.clone();
    frac.truncate(3);
    while frac.len() < 3 {
        frac.push('0');
    }
    let mills: i64 = frac.parse().ok()?;
    // round half up to the cent
    let cents = euros * 100 + (mills + 5) / 10;
    Some(if neg { -cents } else { cents })
}

/// A decimal number as French users write it: "651 234,5", "2.3765", "-0,5" (`None` when the
/// text is not one, or not finite).
pub fn parse_decimal(s: &str) -> Option<f64> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !is_group_sep(*c))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if t.is_empty()
        || t.matches('.').count() > 1
        || !t
            .bytes()
            .enumerate()
            .all(|(i, b)| b.is_ascii_digit() || b == b'.' || (i == 0 && (b == b'-' || b == b'+')))
        || !t.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A date a form gives for something that happened (`what`: « signature », « décision »): empty
/// is none; a later day than `today` or an unreadable text is refused in French.
pub fn parse_past_date(v: &str, today: NaiveDate, what: &str) -> Result<Option<NaiveDate>, String> {
    match v.trim() {
        "" => Ok(None),
        t => match parse_date(t) {
            Some(d) if d > today => Err(format!("{what} datée du futur (« {t} »)")),
            Some(d) => Ok(Some(d)),
            None => Err(format!("date illisible « {t} » (jj/mm/aaaa)")),
        },
    }
}

/// A date as "29/03/2024", "29/03/24", "2024-03-29", "2024-03-29T00:00:00" or "29-03-2024".
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    let t = t.split(['T', ' ']).next().unwrap_or(t);
    for fmt in ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt)
            && (1950..=2100).contains(&chrono::Datelike::year(&d))
        {
            return Some(d);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%d/%m/%y") {
        return Some(d);
    }
    None
}

/// A date in French form: 29/03/2024.
pub fn format_date_fr(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// "12 000": French thousands grouping with a narrow no-break space.
/// `part` as a share of `whole` in French, one decimal ("12,5 %"); `None` when `whole` is 0
/// (each caller shows its own empty value: a blank cell in a report, a dash on a page).
pub fn percent_fr(part: u64, whole: u64) -> Option<String> {
    (whole != 0).then(|| format!("{:.1} %", part as f64 * 100.0 / whole as f64).replace('.', ","))
}

/// `v` with `places` decimals and a French decimal comma ("1,30").
pub fn decimal_fr(v: f64, places: usize) -> String {
    format!("{v:.places$}").replace('.', ",")
}

pub fn group_thousands(n: i64) -> String {
    Thousands(n).to_string()
}

/// `n` with its thousands grouped, as [`group_thousands`] makes it, written where it is shown
/// without a text made first (a report page writes tens of thousands of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thousands(pub i64);

impl std::fmt::Display for Thousands {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::fmt::Write;
        // The digits, last first.
        let mut digits = [0u8; 20];
        let mut rest = self.0.unsigned_abs();
        let mut len = 0;
        loop {
            if let Some(d) = digits.get_mut(len) {
                *d = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            len += 1;
            if rest == 0 {
                break;
            }
        }
        if self.0 < 0 {
            f.write_char('-')?;
        }
        for (i, d) in digits.iter().enumerate().take(len).rev() {
            f.write_char(char::from(*d))?;
            if i > 0 && i % 3 == 0 {
                f.write_char('\u{202f}')?;
            }
        }
        Ok(())
    }
}

/// "1 234,50 €": an amount in cents, French style.
pub fn format_euros_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let euros = group_thousands(i64::try_from(c / 100).unwrap_or(i64::MAX));
    format!("{sign}{euros},{:02}\u{a0}€", c % 100)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn euros() {
        assert_eq!(format_euros_cents(123_450), "1\u{202f}234,50\u{a0}€");
        assert_eq!(format_euros_cents(-5), "-0,05\u{a0}€");
    }

    #[test]
    fn integers() {
        assert_eq!(parse_integer("1 200"), Some(1200));
        assert_eq!(parse_integer("1\u{a0}200"), Some(1200));
        assert_eq!(parse_integer("12,0"), Some(12));
        assert_eq!(parse_integer("12.0"), Some(12));
        assert_eq!(parse_integer("-4"), Some(-4));
        assert_eq!(parse_integer("12,5"), None);
        assert_eq!(parse_integer("douze"), None);
        assert_eq!(parse_integer(""), None);
        assert_eq!(parse_integer("99999999999999999999"), None);
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount_cents("10 625 458 €"), Some(1_062_545_800));
        assert_eq!(parse_amount_cents("1 234 567,89"), Some(123_456_789));
        assert_eq!(parse_amount_cents("1234567.89"), Some(123_456_789));
        assert_eq!(parse_amount_cents("1.234.567,89"), Some(123_456_789));
        assert_eq!(parse_amount_cents("1,234,567.89"), Some(123_456_789));
        assert_eq!(parse_amount_cents("0,5"), Some(50));
        assert_eq!(parse_amount_cents("-3"), Some(-300));
        assert_eq!(parse_amount_cents("abc"), None);
        assert_eq!(parse_amount_cents("€"), None);
        assert_eq!(parse_amount_cents(","), None);
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 29);
        assert_eq!(parse_date("29/03/2024"), d);
        assert_eq!(parse_date("2024-03-29"), d);
        assert_eq!(parse_date("2024-03-29T00:00:00"), d);
        assert_eq!(parse_date("29/03/24"), d);
        assert_eq!(parse_date("31/02/2024"), None);
        assert_eq!(parse_date("demain"), None);
        assert_eq!(group_thousands(12000), "12\u{202f}000");
    }

    #[test]
    fn thousands_are_grouped_by_three_from_the_right() {
        let g = |n: i64| group_thousands(n).replace('\u{202f}', " ");
        assert_eq!(g(0), "0");
        assert_eq!(g(7), "7");
        assert_eq!(g(999), "999");
        assert_eq!(g(1000), "1 000");
        assert_eq!(g(-1234), "-1 234");
        assert_eq!(g(123_456), "123 456");
        assert_eq!(g(1_234_567), "1 234 567");
        assert_eq!(g(i64::MAX), "9 223 372 036 854 775 807");
        assert_eq!(g(i64::MIN), "-9 223 372 036 854 775 808");
    }
}
