//! Compile time (parse + check + lower) of generated policies and of the bundled policies, and
//! the analysis `procura lsp` runs on each change.
//! Run: `cargo bench --bench compile`.

#[path = "workloads.rs"]
mod workloads;

fn main() {
    divan::main();
}

#[divan::bench(args = [50, 500, 2_000, 10_000])]
fn compile_generated(bencher: divan::Bencher, lines: usize) {
    let source = workloads::policy_of_lines(lines);
    bencher.bench(|| {
        procura::compile(divan::black_box(&source))
            .map(|_| ())
            .map_err(|d| d.len())
    });
}

#[divan::bench]
fn compile_onboarding(bencher: divan::Bencher) {
    let source = include_str!("../rules/onboarding.policy");
    bencher.bench(|| {
        procura::compile(divan::black_box(source))
            .map(|_| ())
            .map_err(|d| d.len())
    });
}

/// What `procura lsp` does on every change of a document: the analysis of its new text,
/// diagnostics included (issue 19 asks for under 50 ms at 2,000 lines).
#[divan::bench(args = [2_000])]
fn lsp_change(bencher: divan::Bencher, lines: usize) {
    let source = workloads::policy_of_lines(lines);
    bencher.bench(|| {
        let sources = procura::policy::Sources::root(divan::black_box(&source));
        procura::ide::Analysis::new(sources).diagnostics().len()
    });
}
