//! The onboarding decision of `rules/onboarding.policy` in Procura, Cedar, Rego (regorus), CEL
//! (cel-interpreter), ZEN (zen-expression) and a hand-written Rust function, side by side.
//!
//! Run: `cargo run --release --manifest-path benches/compare/Cargo.toml`
//!
//! Every engine first decides all generated suppliers and must agree with Procura on every one;
//! then each is timed over the same suppliers, in the same process, one after the other. Inputs
//! are converted to each engine's own value type before timing (for Procura: validated), so the
//! figures compare deciding, not JSON parsing; the JSON-text rows time parsing as well.

#[path = "../../workloads.rs"]
#[allow(dead_code)]
mod workloads;

mod engines;

use std::time::Instant;

const SUPPLIERS: usize = 10_000;
const ROUNDS: usize = 7;

fn main() {
    let suppliers = workloads::suppliers(SUPPLIERS, 2025);
    let texts: Vec<String> = suppliers.iter().map(|s| s.to_string()).collect();
    println!("workload 1: rules/onboarding.policy");
    let mut engines = engines::all(&suppliers);
    let mut rows = compare(&mut engines, &suppliers, &texts);
    for (name, mut run) in engines::from_text(&texts)
        .into_iter()
        .chain(engines::from_values(&suppliers))
    {
        let ns = median_ns(|| run());
        rows.push((name, ns));
    }
    print_rows(&rows);

    let suppliers = workloads::suppliers_with_smelters(SUPPLIERS, 2026, 20);
    let texts: Vec<String> = suppliers.iter().map(|s| s.to_string()).collect();
    println!("\nworkload 2: `cpi[supplier.country] ?? -1`, 0 to 20 smelters");
    let rows = compare(&mut engines::dense(&suppliers), &suppliers, &texts);
    print_rows(&rows);
}

/// Checks that every engine agrees with the first (Procura) on every supplier, then times
/// each: (name, median ns per decision).
fn compare(
    engines: &mut [Box<dyn engines::Engine>],
    suppliers: &[serde_json::Value],
    texts: &[String],
) -> Vec<(String, f64)> {
    let smelters: usize = suppliers
        .iter()
        .map(|s| s["smelters"].as_array().map_or(0, Vec::len))
        .sum();
    println!(
        "{SUPPLIERS} generated suppliers, {:.1} smelters each on average",
        smelters as f64 / SUPPLIERS as f64
    );
    let expected: Vec<&'static str> = engines[0].decide_all();
    let mut tally = std::collections::BTreeMap::new();
    for decision in &expected {
        *tally.entry(*decision).or_insert(0) += 1;
    }
    println!("procura decisions: {tally:?}");
    for engine in &mut engines[1..] {
        let decisions = engine.decide_all();
        let disagreements: Vec<usize> = (0..SUPPLIERS)
            .filter(|&i| decisions[i] != expected[i])
            .collect();
        if let Some(&first) = disagreements.first() {
            eprintln!(
                "{} disagrees with procura on {} suppliers; first: {} says {}, procura {}:\n{}",
                engine.name(),
                disagreements.len(),
                first,
                decisions[first],
                expected[first],
                texts[first]
            );
            std::process::exit(1);
        }
    }
    println!("every engine agrees with procura on all {SUPPLIERS} suppliers\n");
    engines
        .iter_mut()
        .map(|engine| {
            let ns = median_ns(|| {
                std::hint::black_box(engine.decide_all());
            });
            (engine.name().to_owned(), ns)
        })
        .collect()
}

/// Each row's time and its ratio to the second row's (Procura's `decide`).
fn print_rows(rows: &[(String, f64)]) {
    let procura = rows[1].1;
    println!(
        "{:<58} {:>12} {:>16}",
        "engine", "ns/decision", "× procura decide"
    );
    for (name, ns) in rows {
        println!("{name:<58} {ns:>12.0} {:>16.2}", ns / procura);
    }
}

/// The median over `ROUNDS` runs of `run` (which decides every supplier once), per supplier.
fn median_ns(mut run: impl FnMut()) -> f64 {
    run();
    let mut times: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_nanos() as f64 / SUPPLIERS as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[ROUNDS / 2]
}
