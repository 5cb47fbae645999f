//! Reading a supplier's reporting template: a CMRT 6.5 whose Smelter List has 2,000 filled rows
//! among the template's 2,500 prepared ones (formulas with cached values, as Excel saves them),
//! from the workbook's bytes to the JSON record. Run: `cargo bench --features import --bench
//! import`. The workbook is written by the tests' generator (`tests/support/templates.rs`).

#[path = "../tests/support/templates.rs"]
mod templates;

use procura::import::cmrt::{self, Template};
use templates::{Kind, Smelter, Spec};

fn main() {
    divan::main();
}

/// A CMRT with `filled` smelter rows, each filled one of the three ways.
fn workbook(filled: u32) -> Vec<u8> {
    let metals = ["Tin", "Tantalum", "Tungsten", "Gold"];
    let mut spec = Spec::new(Kind::Cmrt, "Revision 6.5\nApril 25, 2025");
    spec.prepared_rows = 2_500;
    for i in 0..filled {
        let metal = metals[i as usize % metals.len()];
        let id = format!("CID{:06}", i + 1);
        let name = format!("Smelter {i}");
        let smelter = match i % 3 {
            0 => Smelter::by_id(&id, metal, &name, "INDONESIA"),
            1 => Smelter::by_lookup(metal, &name, "PERU", &id),
            _ => Smelter::not_listed(metal, &name, "BOLIVIA"),
        };
        spec.smelters.push((5 + i, smelter));
    }
    spec.write()
}

#[divan::bench(args = [0, 2_000], sample_count = 20)]
fn read_cmrt(bencher: divan::Bencher, filled: u32) {
    let bytes = workbook(filled);
    bencher.bench(|| {
        let import = cmrt::read("bench.xlsx", divan::black_box(&bytes), Template::Cmrt);
        assert_eq!(
            import.map(|import| import.json["smelters"].as_array().map_or(0, Vec::len)),
            Ok(filled as usize)
        );
    });
}
