//! `procura import`: the reporting-template reader on workbooks written in the real layouts
//! (`tests/support/templates.rs`), golden records in `tests/import/NAME.json`
//! (`UPDATE_GOLDEN=1` rewrites them; review with `git diff`), hostile workbooks, and the
//! command line: `procura import cmrt FILE | procura eval POLICY --input -`.

#[path = "support/reference.rs"]
mod reference;
#[path = "support/templates.rs"]
mod templates;

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use procura::import::cmrt::{self, Template};
use procura::import::{Import, ReferenceOptions, cpi, eu, ofac, rmi, svhc};
use serde_json::{Value, json};
use templates::{Cell, Kind, Smelter, Spec, formula, text};

const PROCURA: &str = env!("CARGO_BIN_EXE_procura");

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/import")
}

/// A complete CMRT 6.5 in English: company, answers, and smelters filled each way.
fn cmrt_6_5() -> Spec {
    let mut spec = Spec::new(Kind::Cmrt, "Revision 6.5\nApril 25, 2025");
    spec.company = vec![
        (8, text("Hokuriku Denshi K.K.")),
        (9, text("A. Company")),
        (12, text("JP-1234567")),
        (13, text("Japan Corporate Number")),
        (14, text("1-2-3 Kanazawa, Ishikawa, Japan")),
        (15, text("Aiko Tanaka")),
        (16, text("aiko.tanaka@example.jp")),
        // A phone number typed as a number.
        (17, Cell::Number(81762000000.0)),
        (18, text("Kenji Mori")),
        (19, text("Compliance Director")),
        (20, text("kenji.mori@example.jp")),
        // 2025-03-01 as Excel stores it.
        (22, Cell::Date(45717.0)),
    ];
    for (question, answers) in [
        (1, ["Yes", "Yes", "Yes", "No"]),
        (2, ["Yes", "Yes", "Yes", "No"]),
        (3, ["No", "Yes", "No", "No"]),
        (4, ["No", "Unknown", "No", "No"]),
        (5, ["No", "No", "No", "No"]),
        (6, ["100%", "Greater than 90%", "100%", "None"]),
        (7, ["Yes", "Yes", "Yes", "No"]),
        (8, ["Yes", "Yes", "Yes", "No"]),
    ] {
        let header = 25 + 6 * (question - 1);
        for (row, answer) in (header + 1..).zip(answers) {
            let comment =
                (question == 3 && answer == "Yes").then(|| "tin from Indonesia".to_owned());
            spec.answers.push((row, answer.to_owned(), comment));
        }
    }
    for (row, answer) in (75..).step_by(2).zip([
        "Yes",
        "Yes",
        "Yes",
        "Yes",
        "Yes, in conformance with IPC1755 (e.g., CMRT)",
        "Yes",
        "Yes",
        "No",
    ]) {
        let comment = (row == 77).then(|| "https://example.jp/minerals-policy".to_owned());
        spec.answers.push((row, answer.to_owned(), comment));
    }
    spec.smelters = vec![
        (
            5,
            Smelter::by_id("CID001105", "Tin", "PT Timah Tbk Mentok", "INDONESIA"),
        ),
        (
            6,
            Smelter::by_lookup(
                "Gold",
                "Advanced Chemical Company",
                "UNITED STATES OF AMERICA",
                "CID000015",
            ),
        ),
        (
            7,
            Smelter::by_id(
                "CID002183",
                "Tantalum",
                "Ningxia Orient Tantalum Industry Co., Ltd.",
                "CHINA",
            ),
        ),
        (
            8,
            Smelter::by_lookup("Tin", "Thaisarco", "THAILAND", "CID001898"),
        ),
        (
            9,
            Smelter::not_listed("Gold", "Fundición San Luis", "MEXICO"),
        ),
    ];
    spec.prepared_rows = 2500;
    spec
}

/// An older revision in Chinese with the rows a supplier breaks: blank rows between filled
/// ones, a metal without a smelter, an identification number that is not in the look-up,
/// a malformed one, a metal that is not 3TG, a smelter not yet identified, a date as text.
fn cmrt_6_01_broken() -> Spec {
    let mut spec = Spec::new(Kind::Cmrt, "Revision 6.01\nMay 19, 2020");
    spec.chinese = true;
    spec.company = vec![
        (8, text("苏州恒泰精密有限公司")),
        (9, text("B. Product (or List of Products)")),
        (10, text("连接器 A-100")),
        (22, text("05-Mar-2021")),
    ];
    spec.answers = vec![(26, "Yes".into(), None), (75, "No".into(), None)];
    spec.smelters = vec![
        (
            5,
            Smelter::by_id(
                "CID001231",
                "Tin",
                "Malaysia Smelting Corporation (MSC)",
                "MALAYSIA",
            ),
        ),
        // Rows 6 and 7 left blank.
        (
            8,
            Smelter::Cells(vec![
                (1, text("Tungsten")),
                (2, formula("")),
                (4, formula("")),
            ]),
        ),
        (
            9,
            Smelter::Cells(vec![
                (0, text("CID999999")),
                (1, formula("#N/A")),
                (2, formula("#N/A")),
                (4, formula("")),
                (5, formula("")),
            ]),
        ),
        (
            10,
            Smelter::by_lookup("Gold", "Some Refinery", "PERU", "242332"),
        ),
        (
            11,
            Smelter::not_listed(
                "Cobalt",
                "Katanga Refining",
                "CONGO, DEMOCRATIC REPUBLIC OF THE",
            ),
        ),
        (
            12,
            Smelter::NotIdentified {
                metal: "Tantalum".into(),
            },
        ),
        (
            13,
            Smelter::Cells(vec![(16, text("supplier will send the list next quarter"))]),
        ),
    ];
    spec
}

fn cmrt_6_22() -> Spec {
    let mut spec = Spec::new(Kind::Cmrt, "Revision 6.22\nMay 11, 2022");
    spec.company = vec![
        (8, text("Nordisk Komponent A/S")),
        (9, text("A. Company")),
        (22, Cell::Date(44700.0)),
    ];
    spec.smelters = vec![(
        5,
        Smelter::by_id("CID000958", "Gold", "Asahi Pretec Corp.", "JAPAN"),
    )];
    spec
}

fn emrt_1_3() -> Spec {
    let mut spec = Spec::new(Kind::Emrt1, "Version 1.3\nApril 26, 2024");
    spec.company = vec![
        (8, text("Ostrava Battery Components a.s.")),
        (9, text("A. Company")),
        (22, Cell::Date(45500.0)),
    ];
    spec.answers = vec![
        (26, "Yes".into(), None),
        (27, "No".into(), None),
        (38, "DRC only".into(), Some("cobalt from Katanga".into())),
        (69, "Yes".into(), None),
        (74, "Yes".into(), None),
        (75, "Yes, when more processors are validated".into(), None),
    ];
    spec.smelters = vec![
        (
            5,
            Smelter::by_id("CID002316", "Cobalt", "Umicore Kokkola", "FINLAND"),
        ),
        (
            6,
            Smelter::not_listed("Mica", "Jharkhand Mica Works", "INDIA"),
        ),
    ];
    spec
}

fn emrt_2_1() -> Spec {
    let mut spec = Spec::new(Kind::Emrt2, "Revision 2.1\nOctober 17, 2025");
    spec.chosen = vec!["Nickel".into(), "Cobalt".into(), "Lithium".into()];
    spec.company = vec![
        (8, text("Gyeonggi Precision Co., Ltd.")),
        (9, text("A. Company")),
        (16, text("KR-555")),
        (26, Cell::Date(45900.0)),
    ];
    // Minerals sorted by the template: cobalt, lithium, nickel under every question.
    spec.answers = vec![
        (30, "Yes".into(), None),
        (31, "Yes".into(), None),
        (32, "No".into(), None),
        // An answer in a slot with no mineral.
        (33, "Yes".into(), None),
        (115, "Yes".into(), None),
        (120, "Yes".into(), None),
    ];
    spec.smelters = vec![
        (
            5,
            Smelter::by_lookup("Cobalt", "Huayou Cobalt", "CHINA", "CID002315"),
        ),
        (
            6,
            Smelter::by_id("CID004120", "Lithium", "Ganfeng Lithium", "CHINA"),
        ),
    ];
    spec.mines = vec![
        (
            5,
            vec![
                (0, text("Cobalt")),
                (1, text("Huayou Cobalt")),
                (2, text("Kamoto")),
                (5, text("CONGO, DEMOCRATIC REPUBLIC OF THE")),
            ],
        ),
        (6, vec![(0, text("Lithium")), (2, text("Greenbushes"))]),
    ];
    spec
}

/// EMRT 2.0 saved without cached values for the hidden mineral list.
fn emrt_2_0_uncached() -> Spec {
    let mut spec = Spec::new(Kind::Emrt2, "Revision 2.0\nApril 25, 2025");
    spec.chosen = vec!["Mica".into(), "Cobalt".into(), "(Delete Copper)".into()];
    spec.cached_minerals = false;
    spec.answers = vec![(30, "Yes".into(), None), (31, "No".into(), None)];
    spec.smelters = vec![(5, Smelter::not_listed("Mica", "Koderma Mica", "INDIA"))];
    spec
}

fn fixtures() -> Vec<(&'static str, Template, Spec)> {
    vec![
        ("cmrt-6.5", Template::Cmrt, cmrt_6_5()),
        ("cmrt-6.01-broken", Template::Cmrt, cmrt_6_01_broken()),
        ("cmrt-6.22", Template::Cmrt, cmrt_6_22()),
        ("emrt-1.3", Template::Emrt, emrt_1_3()),
        ("emrt-2.1", Template::Emrt, emrt_2_1()),
        ("emrt-2.0-uncached", Template::Emrt, emrt_2_0_uncached()),
    ]
}

/// An import as the golden files hold it: the record and the warnings as printed.
fn shown(import: &Import) -> Value {
    json!({
        "record": import.json,
        "warnings": import.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// Compares an import with its golden file `tests/import/NAME.json` (or writes it, with
/// `UPDATE_GOLDEN`); a failure is returned, so that one run reports every case.
fn golden(name: &str, import: &Import) -> Option<String> {
    let actual = serde_json::to_string_pretty(&shown(import)).unwrap() + "\n";
    let path = golden_dir().join(format!("{name}.json"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return None;
    }
    match std::fs::read_to_string(&path) {
        Ok(expected) if expected == actual => None,
        Ok(expected) => Some(format!(
            "{name}: differs\n--- expected\n{expected}\n--- actual\n{actual}"
        )),
        Err(_) => Some(format!(
            "{name}: no golden file; UPDATE_GOLDEN=1 writes it\n{actual}"
        )),
    }
}

#[test]
fn every_fixture_layout_imports_as_its_golden_record() {
    let mut failures = Vec::new();
    for (name, template, spec) in fixtures() {
        let bytes = spec.write();
        let import = cmrt::read(&format!("{name}.xlsx"), &bytes, template)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        failures.extend(golden(name, &import));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The workbooks the other hosts read (`www/tests/import.test.js`: `procura import`, the reader
/// module in Node and the supplier form in Chromium give the same record and the same errors):
/// the fixtures and hostile workbooks, as these generators write them, kept in
/// `tests/import/workbooks/` (`UPDATE_GOLDEN=1` rewrites them).
#[test]
fn the_workbooks_of_the_other_hosts_are_the_generators_output() {
    let hostile = [
        ("hostile-zip-bomb", zip_bomb()),
        (
            "hostile-malformed-xml",
            with_part(SMELTER_SHEET, MALFORMED_SHEET.to_vec()),
        ),
        ("hostile-huge-sheet", with_part(SMELTER_SHEET, huge_sheet())),
    ];
    let workbooks = fixtures()
        .into_iter()
        .map(|(name, _, spec)| (name, spec.write()))
        .chain(hostile);
    let folder = golden_dir().join("workbooks");
    let mut failures = Vec::new();
    for (name, bytes) in workbooks {
        let path = folder.join(format!("{name}.xlsx"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else if std::fs::read(&path).ok().as_ref() != Some(&bytes) {
            failures.push(format!(
                "{name}.xlsx differs from the generator's; UPDATE_GOLDEN=1 rewrites it"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_same_spec_gives_the_same_bytes() {
    assert_eq!(cmrt_6_22().write(), cmrt_6_22().write());
}

#[test]
fn n_smelter_rows_give_n_smelters_with_their_metals_and_ids() {
    let metals = ["Tin", "Tantalum", "Tungsten", "Gold"];
    let mut spec = Spec::new(Kind::Cmrt, "Revision 6.4\nApril 26, 2024");
    let mut expected = Vec::new();
    for i in 0..137u32 {
        let id = format!("CID{:06}", 1000 + i);
        let metal = metals[i as usize % 4];
        let smelter = if i % 2 == 0 {
            Smelter::by_id(&id, metal, &format!("Smelter {i}"), "CHINA")
        } else {
            Smelter::by_lookup(metal, &format!("Smelter {i}"), "PERU", &id)
        };
        // Every fifth row is left blank, as suppliers leave gaps.
        spec.smelters.push((5 + i + i / 5, smelter));
        expected.push((metal.to_lowercase(), id));
    }
    spec.prepared_rows = 2500;
    let import = cmrt::read("many.xlsx", &spec.write(), Template::Cmrt).unwrap();
    let smelters = import.json["smelters"].as_array().unwrap();
    let actual: Vec<(String, String)> = smelters
        .iter()
        .map(|s| {
            (
                s["metal"].as_str().unwrap().to_owned(),
                s["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(actual, expected);
    assert!(import.warnings.is_empty(), "{:?}", import.warnings);
}

#[test]
fn broken_rows_are_reported_and_kept() {
    let spec = cmrt_6_01_broken();
    let import = cmrt::read("broken.xlsx", &spec.write(), Template::Cmrt).unwrap();
    let rows: Vec<u64> = import.json["smelters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["row"].as_u64().unwrap())
        .collect();
    // Every row with anything in it is a smelter; the blank rows 6 and 7 are not.
    assert_eq!(rows, [5, 8, 9, 10, 11, 12, 13]);
    let warned: Vec<u32> = import.warnings.iter().filter_map(|w| w.row).collect();
    for row in [8, 9, 10, 11, 12, 13] {
        assert!(
            warned.contains(&row),
            "row {row} is not reported: {:?}",
            import.warnings
        );
    }
    assert!(!warned.contains(&5));
}

/// The error of importing `bytes`, which must come quickly.
fn import_error(bytes: &[u8], template: Template) -> String {
    let start = Instant::now();
    let error = cmrt::read("hostile.xlsx", bytes, template).expect_err("the import fails");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    error.to_string()
}

#[test]
fn a_template_of_the_other_kind_is_refused_with_a_hint() {
    let error = import_error(&emrt_1_3().write(), Template::Cmrt);
    assert_eq!(
        error,
        "`hostile.xlsx`: revision 1.3 is not one of the CMRT (6.x) (an EMRT? use `procura import emrt`)"
    );
    let error = import_error(&cmrt_6_22().write(), Template::Emrt);
    assert!(error.contains("use `procura import cmrt`"), "{error}");
}

#[test]
fn workbooks_that_are_not_templates_are_refused() {
    let mut spec = cmrt_6_22();
    spec.without_sheet = Some("Smelter List");
    let error = import_error(&spec.write(), Template::Cmrt);
    assert!(error.starts_with("`hostile.xlsx`: no sheet `Smelter List`: not an RMI CMRT workbook (its sheets are `Revision`"), "{error}");

    let mut spec = cmrt_6_22();
    spec.without_header = true;
    let error = import_error(&spec.write(), Template::Cmrt);
    assert!(
        error.contains("`Smelter List` has no header in row 4 (empty: B4, C4, D4, E4, F4, G4)"),
        "{error}"
    );

    let mut spec = cmrt_6_22();
    spec.revision = "Revision".into();
    let error = import_error(&spec.write(), Template::Cmrt);
    assert!(
        error.contains("no template revision in `Declaration` J3 or `Smelter List` Q3"),
        "{error}"
    );

    let error = import_error(b"Company,Country\nACME,DE\n", Template::Cmrt);
    assert!(error.contains("not an .xlsx workbook"), "{error}");
}

/// The parts of a workbook, by name, in order.
fn parts(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut part = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            part.read_to_end(&mut data).unwrap();
            (part.name().unwrap().into_owned(), data)
        })
        .collect()
}

/// A workbook made of these parts, deflated.
fn zip_of(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, data) in parts {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// `cmrt_6_22` with one part replaced.
fn with_part(name: &str, data: Vec<u8>) -> Vec<u8> {
    let mut parts = parts(&cmrt_6_22().write());
    let part = parts
        .iter_mut()
        .find(|(n, _)| n == name)
        .expect("the part exists");
    part.1 = data;
    zip_of(&parts)
}

const SMELTER_SHEET: &str = "xl/worksheets/sheet5.xml";

/// `cmrt_6_22` whose Smelter List is 100 MiB of one byte, which deflates to about 100 KiB.
fn zip_bomb() -> Vec<u8> {
    let mut sheet = b"<worksheet><sheetData>".to_vec();
    sheet.resize(100 << 20, b' ');
    with_part(SMELTER_SHEET, sheet)
}

/// A Smelter List whose XML ends in the middle of a row.
const MALFORMED_SHEET: &[u8] =
    b"<worksheet><sheetData><row r=\"5\"><c r=\"A5\" t=\"s\"><v>12</v></c></row";

/// A Smelter List of one cell more than a sheet may keep: rows of 16 numbers (columns A to P,
/// all read), the cells without their references, which Excel may leave out; 34 MB of XML that
/// deflates to about 220 KB.
fn huge_sheet() -> Vec<u8> {
    let row = format!("<row>{}</row>", "<c><v>1</v></c>".repeat(16));
    let rows = 2_000_000 / 16 + 1;
    format!(
        "<worksheet><sheetData>{}</sheetData></worksheet>",
        row.repeat(rows)
    )
    .into_bytes()
}

#[test]
fn a_sheet_of_too_many_cells_is_refused() {
    let bytes = with_part(SMELTER_SHEET, huge_sheet());
    assert!(bytes.len() < 1 << 20, "{}", bytes.len());
    assert_eq!(
        import_error(&bytes, Template::Cmrt),
        "`hostile.xlsx`: the sheet `Smelter List` is larger than the limit of 2000000"
    );
}

#[test]
fn a_zip_bomb_is_refused_by_its_real_size() {
    let bytes = zip_bomb();
    assert!(bytes.len() < 1 << 20, "{}", bytes.len());
    let error = import_error(&bytes, Template::Cmrt);
    assert_eq!(
        error,
        format!(
            "`hostile.xlsx`: the part `{SMELTER_SHEET}` decompressed is larger than the limit of 67108864"
        )
    );
}

#[test]
fn malformed_xml_is_an_error_naming_the_sheet() {
    let error = import_error(
        &with_part(SMELTER_SHEET, MALFORMED_SHEET.to_vec()),
        Template::Cmrt,
    );
    assert!(
        error.starts_with("`hostile.xlsx`: cannot read sheet `Smelter List`:"),
        "{error}"
    );
    let sheet =
        b"<worksheet><sheetData><row><c r=\"A5\"><v>1</v></x></row></sheetData></worksheet>"
            .to_vec();
    let error = import_error(&with_part(SMELTER_SHEET, sheet), Template::Cmrt);
    assert!(
        error.starts_with("`hostile.xlsx`: cannot read sheet `Smelter List`:"),
        "{error}"
    );
}

#[test]
fn a_lying_count_of_shared_strings_is_refused_before_memory_is_reserved() {
    let strings = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="999999999999"><si><t>x</t></si></sst>"#.to_vec();
    let error = import_error(&with_part("xl/sharedStrings.xml", strings), Template::Cmrt);
    assert!(error.contains("declares 999999999999 strings"), "{error}");
}

#[test]
fn a_huge_declared_dimension_costs_nothing() {
    let bytes = cmrt_6_22().write();
    let mut parts = parts(&bytes);
    let sheet = &mut parts
        .iter_mut()
        .find(|(n, _)| n == SMELTER_SHEET)
        .unwrap()
        .1;
    let text = String::from_utf8(sheet.clone()).unwrap();
    let start = text.find("<dimension ref=\"").unwrap();
    let end = start + text[start..].find("/>").unwrap() + 2;
    *sheet = format!(
        "{}<dimension ref=\"A1:XFD1048576\"/>{}",
        &text[..start],
        &text[end..]
    )
    .into_bytes();
    let import = cmrt::read("wide.xlsx", &zip_of(&parts), Template::Cmrt).unwrap();
    assert_eq!(import.json["smelters"].as_array().unwrap().len(), 1);
}

#[test]
fn a_workbook_over_the_size_limit_is_refused_unread() {
    let bytes = vec![0u8; (32 << 20) + 1];
    let error = import_error(&bytes, Template::Cmrt);
    assert_eq!(
        error,
        "`hostile.xlsx`: the workbook is larger than the limit of 33554432"
    );
}

// The command line.

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(PROCURA)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // A child that stops reading early (it refused its input) is judged by its exit code and
    // output, which the caller checks, not by this write.
    match input.write_all(stdin.unwrap_or_default()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        written => written.unwrap(),
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Runs `procura` and checks that it succeeded.
fn succeed(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let output = run(args, stdin);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    output
}

/// Writes a fixture into the test's scratch folder.
fn fixture_file(name: &str, spec: &Spec) -> String {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, spec.write()).unwrap();
    path.display().to_string()
}

#[test]
fn the_command_prints_the_record_and_the_warnings() {
    let file = fixture_file("cli-broken.xlsx", &cmrt_6_01_broken());
    let output = run(&["import", "cmrt", &file], None);
    assert_eq!(output.status.code(), Some(0));
    let record: Value = serde_json::from_slice(&output.stdout).unwrap();
    let library = cmrt::read(&file, &cmrt_6_01_broken().write(), Template::Cmrt).unwrap();
    assert_eq!(record, library.json);
    let stderr = String::from_utf8(output.stderr).unwrap();
    let expected: String = library
        .warnings
        .iter()
        .map(|w| format!("warning: {w}\n"))
        .collect();
    assert_eq!(stderr, expected);

    let output = run(&["import", "emrt", &file], None);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("error: `"), "{stderr}");
    assert!(
        stderr.contains("revision 6.01 is not one of the EMRT"),
        "{stderr}"
    );
}

#[test]
fn the_import_goes_into_a_supplier_record() {
    let file = fixture_file("cli-into.xlsx", &cmrt_6_22());
    let record = Path::new(env!("CARGO_TARGET_TMPDIR")).join("supplier.json");
    std::fs::write(
        &record,
        r#"{"name": "Nordisk Komponent A/S", "country": "DK"}"#,
    )
    .unwrap();
    let output = succeed(
        &[
            "import",
            "cmrt",
            &file,
            "--into",
            &record.display().to_string(),
            "--field",
            "cmrt",
        ],
        None,
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["name"], "Nordisk Komponent A/S");
    assert_eq!(json["cmrt"]["version"], "6.22");
    assert_eq!(json["cmrt"]["smelters"][0]["id"], "CID000958");
}

#[test]
fn an_unreadable_file_is_a_usage_error() {
    let output = run(&["import", "cmrt", "no-such-file.xlsx"], None);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "error: cannot read `no-such-file.xlsx`: no such file or directory\n"
    );
}

#[test]
fn an_import_is_evaluated_from_standard_input() {
    let file = fixture_file("cli-pipe.xlsx", &cmrt_6_5());
    let import = run(&["import", "cmrt", &file], None);
    assert_eq!(import.status.code(), Some(0));
    let args = [
        "eval",
        "rules/cmrt-quality.policy",
        "--input",
        "-",
        "--data",
        "rules/data/reference.json",
        "--as-of",
        "2025-06-01",
    ];
    let eval = run(&args, Some(&import.stdout));
    assert_eq!(
        eval.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let report: Value = serde_json::from_slice(&eval.stdout).unwrap();
    let outcome = |name: &str| {
        report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|rule| rule["name"] == name)
            .unwrap()["outcome"]
            .clone()
    };
    // Complete but for the smelter not listed, which has no identification number.
    assert_eq!(report["decision"], "review");
    assert_eq!(outcome("smelter_ids"), "failed");
    assert_eq!(report["values"]["smelters_without_cid"], json!([9]));
    for rule in [
        "company_information",
        "questions_1_2",
        "questions_in_scope",
        "company_questions",
        "sourcing_policy",
        "policy_url",
        "smelters_listed",
        "smelter_metals",
        "current",
        "template_revision",
        "revision",
        "rmi_listed",
        "rmap_conformant",
    ] {
        assert_eq!(outcome(rule), "passed", "{rule}");
    }

    let both = run(
        &[
            "eval",
            "rules/cmrt-quality.policy",
            "--input",
            "-",
            "--data",
            "-",
        ],
        Some(b"{}"),
    );
    assert_eq!(both.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(both.stderr).unwrap(),
        "error: `--input -` and `--data -` cannot both read standard input\n"
    );
}

// Reference lists.

type Reader = fn(&str, &[u8], &ReferenceOptions) -> Result<Import, procura::import::ImportError>;

fn options(table: Option<&str>, sheet: Option<&str>, year: Option<u32>) -> ReferenceOptions {
    ReferenceOptions {
        table: table.map(str::to_owned),
        sheet: sheet.map(str::to_owned),
        year,
        status: None,
    }
}

#[test]
fn reference_lists_import_as_their_golden_tables() {
    let cases: Vec<(&str, &str, Reader, Vec<u8>, ReferenceOptions)> = vec![
        (
            "ref-cpi-xlsx",
            "cpi.xlsx",
            cpi::read,
            reference::cpi_workbook(),
            options(None, None, None),
        ),
        (
            "ref-cpi-2023",
            "cpi.xlsx",
            cpi::read,
            reference::cpi_workbook(),
            options(Some("cpi_2023"), Some("CPI2023"), Some(2023)),
        ),
        (
            "ref-cpi-csv",
            "cpi.csv",
            cpi::read,
            reference::CPI_CSV.into(),
            options(None, None, None),
        ),
        (
            "ref-rmi",
            "rmi.xlsx",
            rmi::read,
            reference::rmi_workbook(),
            options(None, None, None),
        ),
        (
            "ref-ofac",
            "sdn.csv",
            ofac::read,
            reference::SDN_CSV.into(),
            options(None, None, None),
        ),
        (
            "ref-eu",
            "eu.xml",
            eu::read,
            reference::EU_XML.into(),
            options(None, None, None),
        ),
        (
            "ref-svhc",
            "svhc.csv",
            svhc::read,
            reference::SVHC_CSV.into(),
            options(None, None, None),
        ),
    ];
    let mut failures = Vec::new();
    for (name, file, read, bytes, options) in cases {
        let import = read(file, &bytes, &options).unwrap_or_else(|error| panic!("{name}: {error}"));
        failures.extend(golden(name, &import));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The error of a reference importer, which must come quickly.
fn reference_error(read: Reader, file: &str, bytes: &[u8], options: &ReferenceOptions) -> String {
    let start = Instant::now();
    let error = read(file, bytes, options).expect_err("the import fails");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    error.to_string()
}

#[test]
fn reference_errors_name_the_file_sheet_row_and_column() {
    let none = options(None, None, None);
    let csv = reference::CPI_CSV.replace("PER,", "XYZ,");
    assert_eq!(
        reference_error(cpi::read, "cpi.csv", csv.as_bytes(), &none),
        "`cpi.csv`, row 3, column `B`: `XYZ` is not an ISO 3166-1 alpha-3 country code"
    );
    let csv = reference::CPI_CSV.replace(",31,", ",high,");
    assert_eq!(
        reference_error(cpi::read, "cpi.csv", csv.as_bytes(), &none),
        "`cpi.csv`, row 3, column `D`: `high` is not a number"
    );
    assert_eq!(
        reference_error(
            cpi::read,
            "cpi.xlsx",
            &reference::cpi_workbook(),
            &options(None, Some("CPI2025"), None)
        ),
        "`cpi.xlsx`: no sheet `CPI2025` (its sheets are `CPI2024`, `CPI2023`)"
    );
    assert_eq!(
        reference_error(
            cpi::read,
            "cpi.xlsx",
            &reference::cpi_workbook(),
            &options(None, None, Some(2019))
        ),
        "`cpi.xlsx`, sheet `CPI2024`: no header row with `ISO3` and `CPI score 2019` columns in the first 30 rows"
    );
    let sdn = reference::SDN_CSV.replace("173,", "17x,");
    assert_eq!(
        reference_error(ofac::read, "sdn.csv", sdn.as_bytes(), &none),
        "`sdn.csv`, row 2, column `A`: entry number `17x` is not a number"
    );
    assert_eq!(
        reference_error(ofac::read, "sdn.csv", b"1,\"A\",-0-\n", &none),
        "`sdn.csv`, row 1: 3 columns where sdn.csv has 12"
    );
    let rmi_csv =
        "Smelter ID,Smelter Name,Metal,Last Audit Date\nCID001105,PT Timah,Tin,sometime\n";
    assert_eq!(
        reference_error(rmi::read, "rmi.csv", rmi_csv.as_bytes(), &none),
        "`rmi.csv`, row 2, column `D`: `sometime` is not a date"
    );
    assert_eq!(
        reference_error(svhc::read, "svhc.csv", b"Name,Colour\nLead,grey\n", &none),
        "`svhc.csv`: no header row with `Substance name`, `EC No.` and `CAS No.` columns in the first 30 rows"
    );
}

#[test]
fn the_sanctions_xml_refuses_a_dtd_and_malformed_xml() {
    let none = options(None, None, None);
    let dtd = reference::EU_XML.replacen(
        "<export",
        "<!DOCTYPE export [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>\n<export",
        1,
    );
    assert_eq!(
        reference_error(eu::read, "eu.xml", dtd.as_bytes(), &none),
        "`eu.xml`, row 2: a document type declaration (DTD) is refused"
    );
    let malformed = reference::EU_XML.replace(
        "</sanctionEntity>\n</export>",
        "</sanctionEntity>\n</exporte>",
    );
    let error = reference_error(eu::read, "eu.xml", malformed.as_bytes(), &none);
    assert!(
        error.starts_with("`eu.xml`, row 15: malformed XML"),
        "{error}"
    );
    assert_eq!(
        reference_error(eu::read, "eu.xml", b"<list><item/></list>", &none),
        "`eu.xml`: no `sanctionEntity` element: not the EU consolidated sanctions list"
    );
}

#[test]
fn the_command_imports_a_reference_list_for_eval() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-sdn.csv");
    std::fs::write(&path, reference::SDN_CSV).unwrap();
    let output = succeed(
        &[
            "import",
            "ofac",
            &path.display().to_string(),
            "--table",
            "denied",
        ],
        None,
    );
    let data: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        data["denied"]["AEROCARIBBEAN AIRLINES"]["programs"],
        json!(["CUBA"])
    );
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "warning: row 5: `ANGLO-CARIBBEAN CO., LTD.` is listed again (entry 9999): the first entry is kept\n"
    );
}

// Batches from and to spreadsheets.

/// `tests/batch/suppliers.csv` as a workbook: the same header and rows on the second sheet
/// (the first holds notes), numbers as numbers.
fn suppliers_workbook() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let notes = workbook.add_worksheet().set_name("Notes").unwrap();
    notes
        .write_string(0, 0, "Suppliers of the spring review")
        .unwrap();
    let sheet = workbook.add_worksheet().set_name("Suppliers").unwrap();
    let text = std::fs::read_to_string(batch_dir().join("suppliers.csv")).unwrap();
    for (row, line) in (0u32..).zip(text.lines()) {
        for (column, cell) in (0u16..).zip(line.split(',')) {
            match cell.parse::<f64>() {
                Ok(number) => sheet.write_number(row, column, number).unwrap(),
                Err(_) if cell.is_empty() => sheet,
                Err(_) => sheet.write_string(row, column, cell).unwrap(),
            };
        }
    }
    workbook.save_to_buffer().unwrap()
}

fn batch_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/batch")
}

fn scratch(name: &str) -> String {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(name)
        .display()
        .to_string()
}

const BATCH_ARGS: [&str; 6] = [
    "--data",
    "tests/batch/data.json",
    "--as-of",
    "2025-06-01",
    "--jobs",
    "1",
];

fn eval_batch(input: &str, extra: &[&str]) -> Output {
    let mut args = vec!["eval", "tests/batch/supplier.policy", "--input", input];
    args.extend(BATCH_ARGS);
    args.extend(extra);
    run(&args, None)
}

#[test]
fn a_workbook_sheet_is_a_batch_like_csv() {
    let workbook = scratch("suppliers.xlsx");
    std::fs::write(&workbook, suppliers_workbook()).unwrap();
    let csv = eval_batch("tests/batch/suppliers.csv", &[]);
    let xlsx = eval_batch(&workbook, &["--sheet", "Suppliers"]);
    assert_eq!(xlsx.status.code(), csv.status.code());
    // The same reports, but for the malformed CSV row, which a sheet cannot have: there the
    // short row is a record with absent fields.
    let csv_lines: Vec<&str> = std::str::from_utf8(&csv.stdout).unwrap().lines().collect();
    let xlsx_lines: Vec<&str> = std::str::from_utf8(&xlsx.stdout).unwrap().lines().collect();
    assert_eq!(xlsx_lines.len(), csv_lines.len());
    assert_eq!(xlsx_lines[..4], csv_lines[..4]);
    assert!(
        xlsx_lines[4].contains("\"decision\":\"incomplete\""),
        "{}",
        xlsx_lines[4]
    );

    let output = eval_batch(&workbook, &["--sheet", "Missing"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(": no sheet `Missing` (its sheets are `Notes`, `Suppliers`)"),
        "{stderr}"
    );
    let output = eval_batch("tests/batch/suppliers.csv", &["--sheet", "Suppliers"]);
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "error: `--sheet` needs an `.xlsx` workbook as `--input`\n"
    );
}

#[test]
fn ndjson_is_json_lines() {
    let ndjson = scratch("suppliers.ndjson");
    std::fs::copy(batch_dir().join("suppliers.jsonl"), &ndjson).unwrap();
    let jsonl = eval_batch("tests/batch/suppliers.jsonl", &[]);
    let output = eval_batch(&ndjson, &[]);
    assert_eq!(output.stdout, jsonl.stdout);
    assert!(!output.stdout.is_empty());
}

#[test]
fn batch_results_are_written_for_analysts() {
    let results = scratch("results.csv");
    let output = eval_batch("tests/batch/suppliers.csv", &["--output", &results]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "input errors are still counted"
    );
    assert!(output.stdout.is_empty());
    let text = std::fs::read_to_string(&results).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "line,supplier,decision,failed rules,missing,error"
    );
    assert_eq!(lines[1], "2,Nordisk Komponent A/S,approve,,,");
    assert_eq!(lines[2], "3,Big Services Co,incomplete,,supplier.ecovadis,");
    assert!(
        lines[3].starts_with("4,Typo Inc,error,,,\"input: $.category:"),
        "{}",
        lines[3]
    );
    assert_eq!(
        lines[4],
        "5,Ru Co,reject,not_sanctioned (reject): RU is under sanctions,\"cpi[\"\"RU\"\"]\","
    );
    assert!(lines[5].starts_with("6,,error,"), "{}", lines[5]);

    let workbook = scratch("results.xlsx");
    eval_batch("tests/batch/suppliers.csv", &["--output", &workbook]);
    let bytes = std::fs::read(&workbook).unwrap();
    let mut book = procura::import::xlsx::Workbook::open("results.xlsx", &bytes).unwrap();
    assert_eq!(book.sheet_names(), ["Results", "Summary"]);
    let results = book.sheet("Results", 6).unwrap().unwrap();
    assert_eq!(results.text(2, 1).as_deref(), Some("Nordisk Komponent A/S"));
    assert_eq!(
        results.text(5, 3).as_deref(),
        Some("not_sanctioned (reject): RU is under sanctions")
    );
    let summary = book.sheet("Summary", 2).unwrap().unwrap();
    let counts: Vec<(String, String)> = (1..=summary.last_row)
        .filter_map(|row| Some((summary.text(row, 0)?, summary.text(row, 1)?)))
        .collect();
    let count = |name: &str| {
        counts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.as_str())
    };
    assert_eq!(count("approve"), Some("1"));
    assert_eq!(count("reject"), Some("1"));
    assert_eq!(count("error"), Some("2"));
    assert_eq!(count("not_sanctioned"), Some("1"));
    assert_eq!(count("supplier.ecovadis"), Some("1"));
    assert_eq!(count("failed rules with verdict warn"), Some("0"));
    assert_eq!(count("records with a warning"), Some("0"));

    let output = eval_batch(
        "tests/batch/suppliers.csv",
        &["--output", &scratch("results.txt")],
    );
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("the results are written as `.csv` or `.xlsx`")
    );
}

#[test]
fn hostile_workbooks_are_clear_errors_on_the_command_line() {
    let bomb = scratch("bomb.xlsx");
    std::fs::write(&bomb, zip_bomb()).unwrap();
    let start = Instant::now();
    for output in [
        run(&["import", "cmrt", &bomb], None),
        eval_batch(&bomb, &[]),
    ] {
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.ends_with(&format!(
                "the part `{SMELTER_SHEET}` decompressed is larger than the limit of 67108864\n"
            )),
            "{stderr}"
        );
    }
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_workbook_saved_without_formula_values_imports_with_a_warning() {
    // As a program that does not calculate saves it: every formula without its value.
    let mut parts = parts(&cmrt_6_5().write());
    for (name, data) in &mut parts {
        if name.starts_with("xl/worksheets/") {
            let text = String::from_utf8(data.clone()).unwrap();
            let mut stripped = String::new();
            let mut rest = text.as_str();
            while let Some(start) = rest.find("</f><v>") {
                let end = start + rest[start..].find("</v>").unwrap() + "</v>".len();
                stripped.push_str(&rest[..start + "</f>".len()]);
                rest = &rest[end..];
            }
            stripped.push_str(rest);
            *data = stripped.replace(" t=\"str\"", "").into_bytes();
        }
    }
    let import = cmrt::read("uncalculated.xlsx", &zip_of(&parts), Template::Cmrt).unwrap();
    let warnings: Vec<String> = import.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings.iter().any(|w| w.starts_with("`Smelter List`: ")
            && w.contains("formula cells were saved without their values")),
        "{warnings:?}"
    );
    // What the supplier typed is still there: the identification numbers of column A and
    // the look-up choices.
    let smelters = import.json["smelters"].as_array().unwrap();
    assert_eq!(smelters.len(), 5);
    assert_eq!(smelters[0]["id"], "CID001105");
    assert_eq!(smelters[1]["name"], "Advanced Chemical Company");
    assert_eq!(smelters[4]["name"], "Fundición San Luis");
}
