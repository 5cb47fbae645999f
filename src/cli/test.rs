//! `procura test FILE...`: runs every `example` block.

use std::fmt::Write as _;
use std::path::PathBuf;

use procura::Date;
use procura::limits::Limits;

use super::diagnostics::write_stdout;
use super::{CliResult, Exit, Format, compile};

pub fn run(paths: &[PathBuf], today: Date, limits: Limits) -> CliResult {
    let mut exit = Exit::Success;
    let (mut passed, mut failed) = (0, 0);
    for path in paths {
        let policy = match compile(path, Format::Text) {
            Ok(Some(policy)) => policy.with_limits(limits),
            Ok(None) => {
                exit = exit.max(Exit::Failure);
                continue;
            }
            Err(error) => {
                eprintln!("error: {error}");
                exit = Exit::Usage;
                continue;
            }
        };
        let mut out = String::new();
        for example in policy.run_examples(today) {
            let status = if example.passed() { "PASS" } else { "FAIL" };
            let _ = writeln!(
                out,
                "{status} {}:{} {}",
                path.display(),
                example.line,
                example.title
            );
            for failure in &example.failures {
                let _ = writeln!(
                    out,
                    "    line {}: {}: expected {}, actual {}",
                    failure.line, failure.subject, failure.expected, failure.actual
                );
            }
            if example.passed() {
                passed += 1;
            } else {
                failed += 1;
            }
        }
        write_stdout(out.as_bytes())?;
    }
    write_stdout(format!("{passed} passed, {failed} failed\n").as_bytes())?;
    if failed > 0 {
        exit = exit.max(Exit::Failure);
    }
    Ok(exit)
}
