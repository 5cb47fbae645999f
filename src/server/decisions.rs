//! `--decision-log FILE`: one JSON line per decision, written and flushed to the file before
//! the response that carries the decision is sent (`docs/abi.md`, "Decision log").
//!
//! One writer: every request's lines (one per record of a batch) are written by a single
//! `write` call under a mutex, so lines of concurrent requests never interleave. A write that
//! fails leaves at most one torn line, which the next write ends with a newline first, so that
//! every other line stays whole.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::value::RawValue;

use crate::audit::sha256_hex;
use crate::date::Date;

pub struct DecisionLog {
    path: PathBuf,
    file: Mutex<Writer>,
}

struct Writer {
    file: File,
    /// The last write failed: the file may end in part of a line.
    torn: bool,
}

impl DecisionLog {
    /// Opens the file for appending, creating it if needed.
    pub fn open(path: &Path) -> std::io::Result<DecisionLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(DecisionLog {
            path: path.to_owned(),
            file: Mutex::new(Writer { file, torn: false }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `lines` (each ending in `\n`) in one write and hands them to the operating system
    /// before returning (the file is unbuffered): once this returns `Ok`, the lines survive the
    /// process.
    pub fn append(&self, lines: &str) -> std::io::Result<()> {
        // A writer that panicked held no partial state beyond `torn`, which stays right.
        let mut writer = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let result = if writer.torn {
            let mut text = String::with_capacity(lines.len() + 1);
            text.push('\n');
            text.push_str(lines);
            writer.file.write_all(text.as_bytes())
        } else {
            writer.file.write_all(lines.as_bytes())
        };
        writer.torn = result.is_err();
        result
    }
}

/// What one decision's line says besides its report's fields.
pub struct Decision<'a> {
    /// The served name of the policy (its file name without `.policy`).
    pub name: &'a str,
    pub request_id: &'a str,
    /// The position of the record in a batch; `None` for `/evaluate`.
    pub index: Option<usize>,
    /// The request's `input` exactly as the client sent it.
    pub input: &'a [u8],
    /// The report returned for it.
    pub report: &'a str,
}

/// Appends the line of one decision to `out`: `{"time", "request_id", "policy": {"name",
/// "title", "version", "sha256"}, "as_of", "data_sha256", "input_sha256", "decision"}`, and
/// `"index"` for a record of a batch. The report's fields are copied as the report writes them.
/// `None` if the report lacks one of them (no report of the module does).
pub fn write_line(out: &mut String, time: &str, decision: &Decision) -> Option<()> {
    let head: std::collections::HashMap<&str, &RawValue> =
        serde_json::from_str(decision.report).ok()?;
    let field = |key: &str| head.get(key).map(|value| value.get());
    // The report's `{"title": ..., "version": ..., "sha256": ...}` with the served name first.
    let policy = field("policy")?.strip_prefix('{')?;
    let name = serde_json::to_string(decision.name).ok()?;
    let request_id = serde_json::to_string(decision.request_id).ok()?;
    let comma = if policy.starts_with('}') { "" } else { "," };
    let _ = write!(
        out,
        r#"{{"time":"{time}","request_id":{request_id},"policy":{{"name":{name}{comma}{policy},"as_of":{},"data_sha256":{},"input_sha256":"{}","decision":{}"#,
        field("as_of")?,
        field("data_sha256")?,
        sha256_hex(decision.input),
        field("decision")?,
    );
    if let Some(index) = decision.index {
        let _ = write!(out, r#","index":{index}"#);
    }
    out.push_str("}\n");
    Some(())
}

/// Now in RFC 3339, UTC, to the microsecond: `2026-12-07T13:05:09.123456Z`.
pub fn now() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(since.as_secs(), since.subsec_micros())
}

fn rfc3339(seconds: u64, micros: u32) -> String {
    let date = Date::from_unix_seconds(i64::try_from(seconds).unwrap_or(i64::MAX));
    let of_day = seconds % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}.{micros:06}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000000Z");
        // 2024-02-29 23:59:59 UTC, a leap day.
        assert_eq!(rfc3339(1_709_251_199, 42), "2024-02-29T23:59:59.000042Z");
    }

    #[test]
    fn a_line_copies_the_reports_audit_fields() {
        let report = r#"{"policy":{"title":"T \"q\"","version":"2","sha256":"ab"},"as_of":"2025-06-01","data_sha256":null,"decision":"review","rules":[{"id":"x"}]}"#;
        let mut out = String::new();
        let decision = Decision {
            name: "tiny",
            request_id: "r-1",
            index: Some(3),
            input: b"{}",
            report,
        };
        write_line(&mut out, "T", &decision).unwrap();
        assert_eq!(
            out,
            concat!(
                r#"{"time":"T","request_id":"r-1","policy":{"name":"tiny","title":"T \"q\"","version":"2","sha256":"ab"},"#,
                r#""as_of":"2025-06-01","data_sha256":null,"#,
                r#""input_sha256":"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","decision":"review","index":3}"#,
                "\n"
            )
        );
        assert!(
            write_line(
                &mut out,
                "T",
                &Decision {
                    report: "{}",
                    ..decision
                }
            )
            .is_none()
        );
    }
}
