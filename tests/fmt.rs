//! The formatter (`print::format`, `procura fmt`).
//!
//! - `tests/golden/fmt/NAME.policy` formats to `NAME.formatted`, which formats to itself.
//!   `UPDATE_GOLDEN=1 cargo test --features cli,internals --test fmt` rewrites the
//!   expectations; review them with `git diff`.
//! - Every policy of `rules/` and `rules/lib/` formats to a policy with the same tree and
//!   comments, and formatting is idempotent (the property of the `fmt` fuzz target).
//! - `procura fmt`: `--check` lists and exits 1, files are rewritten in place, a file that does
//!   not parse is reported and left untouched.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../fuzz/src/spans.rs"]
mod spans;

#[path = "../fuzz/src/fmt.rs"]
mod property;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `*.policy` files of a directory, sorted.
fn policies(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "policy"))
        .collect();
    files.sort();
    files
}

#[test]
fn golden_files() {
    let dir = root().join("tests/golden/fmt");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let cases = policies(&dir);
    assert!(cases.len() >= 4, "only {} golden inputs", cases.len());
    for input in cases {
        let source = fs::read_to_string(&input).unwrap();
        property::assert_formats(&source);
        let formatted = procura::print::format(&source).unwrap();
        let expected_path = input.with_extension("formatted");
        if update {
            fs::write(&expected_path, &formatted).unwrap();
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        assert_eq!(formatted, expected, "{}", input.display());
        assert_eq!(
            procura::print::format(&expected).ok().as_deref(),
            Some(expected.as_str()),
            "{} is not formatted",
            expected_path.display()
        );
    }
}

#[test]
fn repository_policies_keep_their_tree_and_comments() {
    let mut checked = 0;
    for dir in ["rules", "rules/lib"] {
        for path in policies(&root().join(dir)) {
            let source = fs::read_to_string(&path).unwrap();
            let (file, diagnostics) = procura::syntax::parse(&source);
            assert!(diagnostics.is_empty(), "{}", path.display());
            assert!(
                !file.comments.is_empty(),
                "{} has no comments",
                path.display()
            );
            property::assert_formats(&source);
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} policies");
}

#[test]
fn comments_are_recorded_in_order_with_their_text() {
    let source = "# one\nlet a = \"# not a comment\" # two\r\nlet b = r\"#\" #three  \n";
    let (file, diagnostics) = procura::syntax::parse(source);
    assert!(diagnostics.is_empty());
    let texts: Vec<&str> = file.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["# one", "# two", "#three"]);
    for comment in &file.comments {
        assert_eq!(&source[comment.span.range()], comment.text);
    }
}

#[test]
fn a_policy_that_does_not_parse_is_refused() {
    let diagnostics = procura::print::format("let a = 1 +\n").unwrap_err();
    assert!(!diagnostics.is_empty());
}

#[test]
fn long_expressions_break_at_operators_within_the_width() {
    let source = format!(
        "let x = {}\n",
        (0..30)
            .map(|i| format!("value_{i}"))
            .collect::<Vec<_>>()
            .join(" + ")
    );
    let formatted = procura::print::format(&source).unwrap();
    assert!(formatted.lines().count() > 3, "{formatted}");
    for line in formatted.lines() {
        assert!(line.chars().count() <= procura::print::WIDTH, "{line}");
    }
    assert!(
        formatted.lines().skip(1).all(|l| l.starts_with("  + ")),
        "{formatted}"
    );
}

// ---------------------------------------------------------------------------------------------
// `procura fmt`

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("procura-fmt-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// `procura ARGS` in `dir`: its exit code, stdout and stderr.
fn procura(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_procura"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("procura runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

const UGLY: &str = "let   a=1+2 # why\n";
const FORMATTED: &str = "let a = 1 + 2  # why\n";
const BROKEN: &str = "let a = 1 +\n";

#[test]
fn check_lists_the_files_that_would_change() {
    let dir = scratch("check");
    fs::write(dir.join("ugly.policy"), UGLY).unwrap();
    fs::write(dir.join("tidy.policy"), FORMATTED).unwrap();
    let (code, stdout, _) = procura(&dir, &["fmt", "--check", "tidy.policy", "ugly.policy"]);
    assert_eq!((code, stdout.as_str()), (Some(1), "ugly.policy\n"));
    // Nothing was written.
    assert_eq!(fs::read_to_string(dir.join("ugly.policy")).unwrap(), UGLY);
    let (code, stdout, _) = procura(&dir, &["fmt", "--check", "tidy.policy"]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn files_are_rewritten_in_place() {
    let dir = scratch("rewrite");
    fs::write(dir.join("ugly.policy"), UGLY).unwrap();
    fs::write(dir.join("tidy.policy"), FORMATTED).unwrap();
    let (code, _, stderr) = procura(&dir, &["fmt", "ugly.policy", "tidy.policy"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        fs::read_to_string(dir.join("ugly.policy")).unwrap(),
        FORMATTED
    );
    assert_eq!(
        fs::read_to_string(dir.join("tidy.policy")).unwrap(),
        FORMATTED
    );
    // No temporary file is left beside them.
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["tidy.policy", "ugly.policy"]);
    assert_eq!(procura(&dir, &["fmt", "--check", "ugly.policy"]).0, Some(0));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_broken_file_is_reported_and_left_untouched() {
    let dir = scratch("broken");
    fs::write(dir.join("broken.policy"), BROKEN).unwrap();
    fs::write(dir.join("ugly.policy"), UGLY).unwrap();
    let (code, stdout, stderr) = procura(&dir, &["fmt", "broken.policy", "ugly.policy"]);
    assert_eq!(code, Some(1));
    let rendered = stdout + &stderr;
    assert!(rendered.contains("E0001"), "{rendered}");
    assert!(rendered.contains("broken.policy"), "{rendered}");
    assert_eq!(
        fs::read_to_string(dir.join("broken.policy")).unwrap(),
        BROKEN
    );
    // The other file is still formatted.
    assert_eq!(
        fs::read_to_string(dir.join("ugly.policy")).unwrap(),
        FORMATTED
    );
    assert_eq!(
        procura(&dir, &["fmt", "--check", "missing.policy"]).0,
        Some(2)
    );
    fs::remove_dir_all(&dir).unwrap();
}
