//! Calendar dates and durations (LANGUAGE.md §2): proleptic Gregorian, no time zones.
//! Month arithmetic clamps to the end of the month (2024-03-31 - 1 month = 2024-02-29).

pub use crate::limits::{MAX_YEAR, MIN_YEAR};
use std::fmt;

use crate::report::write_digits;

/// Days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

/// A duration literal: calendar months (`month`, `year`) or days (`day`, `week`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Duration {
    Days(i64),
    Months(i64),
}

impl Duration {
    /// `count` times this duration; out of range saturates, and shifting a date by it then
    /// leaves the calendar (`Date::shift` gives `None`).
    pub fn times(self, count: i64) -> Duration {
        match self {
            Duration::Days(days) => Duration::Days(days.saturating_mul(count)),
            Duration::Months(months) => Duration::Months(months.saturating_mul(count)),
        }
    }
}

impl Date {
    /// `None` for impossible dates such as 2025-02-30 or years outside 1..=9999.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        if day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date(days_from_civil(year, month, day)))
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        let year = i32::try_from(digits(0..4)?).ok()?;
        Date::from_ymd(year, digits(5..7)?, digits(8..10)?)
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// `None` when the result leaves the supported years.
    pub fn shift(self, duration: Duration, sign: i64) -> Option<Date> {
        match duration {
            Duration::Days(days) => {
                let target = i64::from(self.0).checked_add(days.checked_mul(sign)?)?;
                let date = Date(i32::try_from(target).ok()?);
                (MIN_YEAR..=MAX_YEAR).contains(&date.year()).then_some(date)
            }
            Duration::Months(months) => {
                let (year, month, day) = self.ymd();
                // Checked: a computed count can be as large as `i64` holds.
                let index = (i64::from(year) * 12 + i64::from(month) - 1)
                    .checked_add(months.checked_mul(sign)?)?;
                let year = i32::try_from(index.div_euclid(12)).ok()?;
                let month = u32::try_from(index.rem_euclid(12) + 1).ok()?;
                if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
                    return None;
                }
                let day = day.min(days_in_month(year, month));
                Date::from_ymd(year, month, day)
            }
        }
    }

    /// Today according to the given Unix time in seconds (UTC).
    pub fn from_unix_seconds(seconds: i64) -> Date {
        Date(i32::try_from(seconds.div_euclid(86_400)).unwrap_or(0))
    }

    /// The date as `YYYY-MM-DD` (the year zero-padded to four places, sign included), as it
    /// prints, appended without the formatting machinery: every report writes one.
    pub fn write_iso(self, out: &mut String) {
        let (year, month, day) = self.ymd();
        if year < 0 {
            out.push('-');
        }
        let year_width = if year < 0 { 3 } else { 4 };
        write_digits(out, u64::from(year.unsigned_abs()), year_width);
        out.push('-');
        write_digits(out, u64::from(month), 2);
        out.push('-');
        write_digits(out, u64::from(day), 2);
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::with_capacity(10);
        self.write_iso(&mut text);
        f.write_str(&text)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (amount, unit) = match *self {
            Duration::Days(n) => (n, "day"),
            Duration::Months(n) => (n, "month"),
        };
        write!(f, "{amount} {unit}{}", if amount == 1 { "" } else { "s" })
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_padded_formatting_would() {
        for days in [i32::MIN, -719_529, -1, 0, 20_240, 2_932_896, i32::MAX] {
            let (y, m, d) = Date(days).ymd();
            assert_eq!(Date(days).to_string(), format!("{y:04}-{m:02}-{d:02}"));
        }
    }
}
