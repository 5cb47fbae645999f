//! `procura::ide`: what a name denotes, where it is declared and mentioned, what may be written
//! at a position, and the outline, on a policy that uses every kind of name.

use procura::ide::Analysis;
use procura::policy::Sources;

/// Shared with tests/node/ide.test.js, which asks the WebAssembly API the same questions.
const POLICY: &str = include_str!("ide/names.policy");

fn analysis() -> Analysis {
    Analysis::new(Sources::root(POLICY))
}

fn at(needle: &str, nth: usize) -> usize {
    POLICY
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .unwrap()
        + 1
}

#[test]
fn definitions_follow_fields_variables_and_types() {
    let a = analysis();
    let field = a.definition(at("ethics ??", 0)).unwrap();
    assert_eq!(&POLICY[field.span.range()], "ethics");
    assert!(field.span.start < at("type Smelter", 0) as u32);
    let status = a.definition(at("status ==", 0)).unwrap();
    assert_eq!(status.span.start as usize, at("status: ", 0) - 1);
    let smelter = a.definition(at("Smelter]", 0)).unwrap();
    assert_eq!(smelter.span.start as usize, at("Smelter =", 0) - 1);
    let floor = a.definition(at("floor and", 0)).unwrap();
    assert_eq!(floor.span.start as usize, at("floor = 40", 0) - 1);
}

#[test]
fn references_list_the_declaration_and_every_mention() {
    let refs = analysis().references(at("ethics =", 0));
    let starts: Vec<usize> = refs.iter().map(|r| r.span.start as usize).collect();
    assert_eq!(
        starts,
        vec![
            at("ethics =", 0) - 1,
            at("ethics) >=", 0) - 1,
            at("ethics}", 0) - 1
        ]
    );
}

#[test]
fn hover_shows_types_titles_and_signatures() {
    let a = analysis();
    let hover = |needle: &str| a.hover(at(needle, 0)).unwrap().markdown;
    assert!(hover("smelters:").contains("smelters: [Smelter]"));
    assert!(hover("ethics) >=").contains("let ethics: number"));
    assert!(hover("twice(ethics").contains("let twice(n: number)"));
    assert!(hover("ethics_floor").contains("Ethics at the floor"));
    assert!(hover("s.status").contains("s: Smelter"));
}

#[test]
fn completion_offers_fields_members_and_names() {
    let a = Analysis::new(Sources::root(POLICY));
    let labels = |offset: usize| -> Vec<String> {
        a.completions(offset).into_iter().map(|c| c.label).collect()
    };
    // After `supplier.` in `supplier.ecovadis.ethics`.
    let fields = labels(at("ecovadis.ethics", 0) - 1);
    assert_eq!(fields, ["country", "tier", "smelters", "ecovadis"]);
    let members = labels(at("conformant\"\n", 0));
    assert_eq!(members, ["conformant", "active"]);
    let names = labels(at("twice(ethics", 0) - 1);
    for name in ["floor", "ethics", "twice", "supplier", "count", "all"] {
        assert!(names.iter().any(|l| l == name), "{name} in {names:?}");
    }
    assert!(
        !names.iter().any(|l| l == "s"),
        "`s` is not in scope before its quantifier"
    );
}

#[test]
fn the_outline_holds_items_and_their_parts() {
    let symbols = analysis().symbols();
    let names: Vec<&str> = symbols.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "supplier",
            "Smelter",
            "floor",
            "ethics",
            "twice",
            "ethics_floor"
        ]
    );
    let fields: Vec<&str> = symbols[0]
        .children
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(fields, ["country", "tier", "smelters", "ecovadis"]);
}
