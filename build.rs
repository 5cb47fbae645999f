//! Two facts the binary carries from its build (ARCHITECTURE.md, "Build"):
//!
//! - with the `serve` feature, the `abi` module that `scripts/build-abi.sh` built, so that
//!   `procura serve` needs no file beside the binary (`src/server/module.rs`). It is looked for
//!   at `$PROCURA_ABI_WASM`, else in the target directory the build writes to
//!   (`TARGET/wasm32-unknown-unknown/abi-release/procura.wasm`); without it the build warns and
//!   the binary reads the module from a file when it starts, as `--module` does;
//! - with the `cli` feature, the commit it was built from, for `procura --version`:
//!   `$PROCURA_COMMIT` if set (a container build without `.git`), else `git rev-parse`.

use std::path::{Path, PathBuf};
use std::process::Command;

const MODULE: &str = "wasm32-unknown-unknown/abi-release/procura.wasm";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(procura_embedded_abi)");
    if std::env::var_os("CARGO_FEATURE_SERVE").is_some() {
        embed_module();
    }
    if std::env::var_os("CARGO_FEATURE_CLI").is_some() {
        commit();
    }
}

fn embed_module() {
    println!("cargo::rerun-if-env-changed=PROCURA_ABI_WASM");
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let candidates: Vec<PathBuf> = match std::env::var_os("PROCURA_ABI_WASM") {
        Some(path) => vec![PathBuf::from(path)],
        // OUT_DIR is TARGET/[TRIPLE/]PROFILE/build/procura-HASH/out.
        None => out
            .ancestors()
            .skip(3)
            .map(|dir| dir.join(MODULE))
            .collect(),
    };
    match candidates.iter().find(|path| path.is_file()) {
        Some(module) => {
            println!("cargo::rerun-if-changed={}", module.display());
            let copy = out.join("procura-abi.wasm");
            if let Err(error) = std::fs::copy(module, &copy) {
                eprintln!("cannot copy `{}` into the build: {error}", module.display());
                std::process::exit(1);
            }
            println!("cargo::rustc-cfg=procura_embedded_abi");
        }
        None => {
            // A missing path makes cargo run this script again on the next build, which then
            // embeds the module as soon as it exists.
            for path in &candidates {
                println!("cargo::rerun-if-changed={}", path.display());
            }
            println!(
                "cargo::warning=the abi module is not embedded: `procura serve` will need `--module` \
                 (run scripts/build-abi.sh, then build again)"
            );
        }
    }
}

fn commit() {
    println!("cargo::rerun-if-env-changed=PROCURA_COMMIT");
    let commit = std::env::var("PROCURA_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty())
        .or_else(|| {
            // A new commit changes the branch's ref (or HEAD itself when detached).
            for file in ["HEAD", "refs/heads", "packed-refs"] {
                if let Some(path) = git(&["rev-parse", "--git-path", file]) {
                    println!("cargo::rerun-if-changed={}", Path::new(&path).display());
                }
            }
            git(&["rev-parse", "--short=12", "HEAD"])
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo::rustc-env=PROCURA_COMMIT={commit}");
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}
