//! Every dependency's license is one `licenses.allow` permits (issue 18, release hygiene).
//!
//! A check over `cargo metadata` rather than `cargo-deny`: it needs no tool besides cargo, no
//! network (`--offline`: the build has already fetched every package) and no minutes of
//! compiling an installer in CI, and the license expressions of crates.io (`A OR B`, `A AND B`,
//! parentheses, `A WITH exception`, the old `A/B`) take a few lines to evaluate.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

fn allowed() -> BTreeSet<String> {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/licenses.allow"))
        .expect("licenses.allow")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Whether some choice among the `OR`s of `expression` uses only allowed licenses.
fn permitted(expression: &str, allowed: &BTreeSet<String>) -> bool {
    let spaced = expression
        .replace('/', " OR ")
        .replace('(', " ( ")
        .replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut at = 0;
    let result = or(&tokens, &mut at, allowed);
    result == Some(true) && at == tokens.len()
}

fn or(tokens: &[&str], at: &mut usize, allowed: &BTreeSet<String>) -> Option<bool> {
    let mut any = and(tokens, at, allowed)?;
    while tokens.get(*at) == Some(&"OR") {
        *at += 1;
        any |= and(tokens, at, allowed)?;
    }
    Some(any)
}

fn and(tokens: &[&str], at: &mut usize, allowed: &BTreeSet<String>) -> Option<bool> {
    let mut all = term(tokens, at, allowed)?;
    while tokens.get(*at) == Some(&"AND") {
        *at += 1;
        all &= term(tokens, at, allowed)?;
    }
    Some(all)
}

fn term(tokens: &[&str], at: &mut usize, allowed: &BTreeSet<String>) -> Option<bool> {
    let token = *tokens.get(*at)?;
    *at += 1;
    if token == "(" {
        let inner = or(tokens, at, allowed)?;
        (tokens.get(*at) == Some(&")")).then_some(())?;
        *at += 1;
        return Some(inner);
    }
    if tokens.get(*at) == Some(&"WITH") {
        let exception = tokens.get(*at + 1)?;
        *at += 2;
        return Some(allowed.contains(&format!("{token} WITH {exception}")));
    }
    Some(allowed.contains(token))
}

#[test]
fn the_expressions_are_read_as_spdx_says() {
    let allowed: BTreeSet<String> = ["MIT", "Apache-2.0", "Unicode-3.0"]
        .map(str::to_owned)
        .into();
    assert!(permitted("MIT OR Apache-2.0", &allowed));
    assert!(permitted("MIT/Apache-2.0", &allowed));
    assert!(permitted("(MIT OR Apache-2.0) AND Unicode-3.0", &allowed));
    assert!(permitted("GPL-3.0 OR MIT", &allowed));
    assert!(!permitted("MIT AND GPL-3.0", &allowed));
    assert!(!permitted("Apache-2.0 WITH LLVM-exception", &allowed));
    assert!(!permitted("GPL-3.0", &allowed));
    assert!(!permitted("(MIT", &allowed));
}

#[test]
fn every_dependency_has_an_allowed_license() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // The packages built for this machine: offline, cargo has only those (a package the lock
    // file holds for another platform, such as `nix` for macOS, was never downloaded).
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    let rustc = String::from_utf8_lossy(&rustc.stdout).into_owned();
    let host = (rustc.lines())
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc names its host");
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--offline",
            "--filter-platform",
            host,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let allowed = allowed();
    let refused: Vec<String> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|package| {
            let name = package["name"].as_str().unwrap_or("?");
            let version = package["version"].as_str().unwrap_or("?");
            match package["license"].as_str() {
                Some(license) if permitted(license, &allowed) => None,
                license => Some(format!("{name} {version}: {license:?}")),
            }
        })
        .collect();
    assert!(
        refused.is_empty(),
        "licenses not in licenses.allow:\n{}",
        refused.join("\n")
    );
}
