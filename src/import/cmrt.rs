//! The RMI Conflict Minerals Reporting Template (CMRT 6.x) and Extended Minerals Reporting
//! Template (EMRT 1.x, 2.x) as one JSON record (`docs/data.md`).
//!
//! Everything is found by position, as the templates fix it, and checked by structure: the
//! revision number in `Declaration` J3 and `Smelter List` Q3, the Smelter List header in row 4,
//! the question headers at their rows. Label texts are never read: they are in whichever of
//! the template's ten languages the supplier chose. The values that are read (answers, metals,
//! the `Smelter not listed` choice) are the template's own untranslated choices.

use serde_json::{Map, Value as Json};

use super::xlsx::{Sheet, Value, Workbook, column_name};
use super::{Import, ImportError, Warning, excel_date, text_date};
use crate::limits;

/// Which template a workbook is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// Conflict Minerals Reporting Template, revisions 6.x: tantalum, tin, gold, tungsten.
    Cmrt,
    /// Extended Minerals Reporting Template: 1.x (cobalt, mica), 2.x (minerals chosen on the
    /// Declaration, a Mine List sheet).
    Emrt,
}

impl Template {
    /// The template a host's `kind` names (`cmrt` or `emrt`, as the CLI's commands), or the
    /// message that refuses any other.
    pub fn from_kind(kind: &str) -> Result<Template, String> {
        match kind {
            "cmrt" => Ok(Template::Cmrt),
            "emrt" => Ok(Template::Emrt),
            other => Err(format!("`template` is `cmrt` or `emrt`, not `{other}`")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Template::Cmrt => "CMRT",
            Template::Emrt => "EMRT",
        }
    }

    /// The metals the Smelter List may name, lowercase.
    fn metals(self) -> &'static [&'static str] {
        match self {
            Template::Cmrt => &CMRT_METALS,
            Template::Emrt => &["cobalt", "mica", "copper", "graphite", "lithium", "nickel"],
        }
    }
}

const DECLARATION: &str = "Declaration";
const SMELTER_LIST: &str = "Smelter List";
const MINE_LIST: &str = "Mine List";

/// CMRT metals in the order of the Declaration's rows under each question.
const CMRT_METALS: [&str; 4] = ["tantalum", "tin", "gold", "tungsten"];

// Columns, 0-based.
const A: u32 = 0;
const B: u32 = 1;
const C: u32 = 2;
const D: u32 = 3;
const E: u32 = 4;
const F: u32 = 5;
const G: u32 = 6;
const J: u32 = 9;
const Q: u32 = 16;
const R: u32 = 17;
const W: u32 = 22;
const X: u32 = 23;
const AA: u32 = 26;

/// The Smelter List (and Mine List) header row; data starts below it.
const HEADER_ROW: u32 = 4;

/// The company information: field and row of the Declaration (answers in column D).
type CompanyRows = &'static [(&'static str, u32)];

/// Where one family of revisions keeps its answers on the Declaration sheet.
struct Layout {
    company: CompanyRows,
    effective_date_row: u32,
    questions: u32,
    first_question_row: u32,
    question_stride: u32,
    minerals: Minerals,
    /// The company-level questions: letter, row, and whether it is asked per mineral (one row
    /// per mineral below it).
    company_questions: &'static [(&'static str, u32, bool)],
}

enum Minerals {
    /// The same minerals under every question, in this order.
    Fixed(&'static [&'static str]),
    /// Chosen on the Declaration (EMRT 2.x): `slots` rows under each question, filled in the
    /// order of the hidden list in column AA from row 12.
    Chosen { slots: u32 },
}

const COMPANY_6: CompanyRows = &[
    ("name", 8),
    ("scope", 9),
    ("scope_description", 10),
    ("unique_id", 12),
    ("unique_id_authority", 13),
    ("address", 14),
    ("contact_name", 15),
    ("contact_email", 16),
    ("contact_phone", 17),
    ("authorizer", 18),
    ("authorizer_title", 19),
    ("authorizer_email", 20),
    ("authorizer_phone", 21),
];

const CMRT_6: Layout = Layout {
    company: COMPANY_6,
    effective_date_row: 22,
    questions: 8,
    first_question_row: 25,
    question_stride: 6,
    minerals: Minerals::Fixed(&CMRT_METALS),
    company_questions: &[
        ("A", 75, false),
        ("B", 77, false),
        ("C", 79, false),
        ("D", 81, false),
        ("E", 83, false),
        ("F", 85, false),
        ("G", 87, false),
        ("H", 89, false),
    ],
};

const EMRT_1: Layout = Layout {
    company: COMPANY_6,
    effective_date_row: 22,
    questions: 7,
    first_question_row: 25,
    question_stride: 6,
    minerals: Minerals::Fixed(&["cobalt", "mica"]),
    company_questions: &[
        ("A", 69, false),
        ("B", 71, false),
        ("C", 73, true),
        ("D", 77, false),
        ("E", 79, false),
        ("F", 81, false),
        ("G", 83, false),
    ],
};

const EMRT_2: Layout = Layout {
    company: &[
        ("name", 8),
        ("scope", 9),
        ("scope_description", 10),
        ("unique_id", 16),
        ("unique_id_authority", 17),
        ("address", 18),
        ("contact_name", 19),
        ("contact_email", 20),
        ("contact_phone", 21),
        ("authorizer", 22),
        ("authorizer_title", 23),
        ("authorizer_email", 24),
        ("authorizer_phone", 25),
    ],
    effective_date_row: 26,
    questions: 7,
    first_question_row: 29,
    question_stride: 12,
    minerals: Minerals::Chosen { slots: 10 },
    company_questions: &[
        ("A", 115, false),
        ("B", 117, false),
        ("C", 119, true),
        ("D", 131, false),
        ("E", 133, false),
        ("F", 135, false),
        ("G", 137, false),
    ],
};

/// EMRT 2.x: the cells where the minerals in scope are chosen (rows 12 and 13), read when the
/// hidden list in column AA has no cached values.
const EMRT_2_CHOICES: [(u32, u32); 10] = [
    (12, D),
    (12, E),
    (12, G),
    (12, 7),
    (12, 8),
    (13, D),
    (13, E),
    (13, G),
    (13, 7),
    (13, 8),
];

/// The Smelter List's columns from A to Q as record fields, those read apart left `None`.
const SMELTER_FIELDS: [Option<&str>; 17] = [
    None, // A: the identification number typed
    None, // B: metal
    None, // C: the look-up choice
    None, // D: the name typed
    Some("country"),
    None, // F: the identification number found
    Some("id_source"),
    Some("street"),
    Some("city"),
    Some("state"),
    Some("contact_name"),
    Some("contact_email"),
    Some("next_steps"),
    Some("mine"),
    Some("mine_country"),
    Some("recycled"),
    Some("comments"),
];

/// The Mine List's columns from A to M.
const MINE_FIELDS: [&str; 13] = [
    "metal",
    "smelter",
    "name",
    "id",
    "id_source",
    "country",
    "street",
    "city",
    "state",
    "contact_name",
    "contact_email",
    "next_steps",
    "comments",
];

/// Reads a CMRT or EMRT workbook, given as bytes, into one record.
pub fn read(file: &str, bytes: &[u8], template: Template) -> Result<Import, ImportError> {
    let mut workbook = Workbook::open(file, bytes)?;
    let mut reader = TemplateReader {
        file,
        template,
        warnings: Vec::new(),
    };
    let declaration = reader.sheet(&mut workbook, DECLARATION, AA + 1)?;
    // Columns A to X: the data, the hidden standard name (R) and the look-up's choices (W, X).
    let smelters = reader.sheet(&mut workbook, SMELTER_LIST, X + 1)?;
    let version = reader.version(&declaration, &smelters)?;
    let layout = match (template, version.split('.').next()) {
        (Template::Cmrt, Some("6")) => &CMRT_6,
        (Template::Emrt, Some("1")) => &EMRT_1,
        (Template::Emrt, Some("2")) => &EMRT_2,
        _ => {
            let other = match template {
                Template::Cmrt => " (an EMRT? use `procura import emrt`)",
                Template::Emrt => " (a CMRT? use `procura import cmrt`)",
            };
            let expected = match template {
                Template::Cmrt => "6.x",
                Template::Emrt => "1.x or 2.x",
            };
            return Err(ImportError::NotTemplate {
                file: file.to_owned(),
                message: format!(
                    "revision {version} is not one of the {} ({expected}){other}",
                    template.name()
                ),
            });
        }
    };
    reader.check_structure(&declaration, &smelters, layout)?;
    for sheet in [&declaration, &smelters] {
        if sheet.uncached() > 0 {
            reader.warn(
                &sheet.name,
                None,
                format!(
                    "{} formula cells were saved without their values (by a program that does not calculate formulas), so what the template fills in by formula is missing: open and save the workbook in Excel or LibreOffice first",
                    sheet.uncached()
                ),
            );
        }
    }
    let mut record = Map::new();
    record.insert("template".to_owned(), template.name().into());
    record.insert("version".to_owned(), version.into());
    if let Some(language) = declaration.text(3, D) {
        record.insert("language".to_owned(), language.into());
    }
    record.insert(
        "company".to_owned(),
        reader.company(&declaration, layout).into(),
    );
    let minerals = reader.minerals(&declaration, layout);
    record.insert(
        "minerals".to_owned(),
        minerals.iter().map(|m| Json::from(m.as_str())).collect(),
    );
    record.insert(
        "answers".to_owned(),
        reader.answers(&declaration, layout, &minerals).into(),
    );
    record.insert(
        "company_answers".to_owned(),
        reader
            .company_answers(&declaration, layout, &minerals)
            .into(),
    );
    record.insert("smelters".to_owned(), reader.smelters(&smelters)?.into());
    if std::ptr::eq(layout, &EMRT_2) {
        let mines = match reader.optional_sheet(&mut workbook, MINE_LIST, 13)? {
            Some(sheet) => reader.mines(&sheet)?,
            None => {
                reader.warn(MINE_LIST, None, "the sheet is missing".to_owned());
                Vec::new()
            }
        };
        record.insert("mines".to_owned(), mines.into());
    }
    Ok(Import {
        json: Json::Object(record),
        warnings: reader.warnings,
    })
}

struct TemplateReader<'a> {
    file: &'a str,
    template: Template,
    warnings: Vec<Warning>,
}

impl TemplateReader<'_> {
    fn warn(&mut self, sheet: &str, row: Option<u32>, message: String) {
        self.warnings.push(Warning {
            sheet: Some(sheet.to_owned()),
            row,
            message,
        });
    }

    fn sheet(
        &mut self,
        workbook: &mut Workbook<'_>,
        name: &str,
        columns: u32,
    ) -> Result<Sheet, ImportError> {
        self.optional_sheet(workbook, name, columns)?
            .ok_or_else(|| ImportError::MissingSheet {
                file: self.file.to_owned(),
                sheet: name.to_owned(),
                hint: format!(
                    ": not an RMI {} workbook (its sheets are {})",
                    self.template.name(),
                    workbook.sheet_list()
                ),
            })
    }

    fn optional_sheet(
        &mut self,
        workbook: &mut Workbook<'_>,
        name: &str,
        columns: u32,
    ) -> Result<Option<Sheet>, ImportError> {
        workbook.sheet(name, columns)
    }

    /// The revision number (`6.5`) from `Declaration` J3, else `Smelter List` Q3, where the
    /// template writes `Revision 6.5` and its date (`Version 1.1` in early EMRTs).
    fn version(&mut self, declaration: &Sheet, smelters: &Sheet) -> Result<String, ImportError> {
        let on_declaration = declaration.text(3, J).and_then(|text| revision(&text));
        let on_smelters = smelters.text(3, Q).and_then(|text| revision(&text));
        match (on_declaration, on_smelters) {
            (Some(one), Some(other)) if one != other => {
                self.warn(
                    SMELTER_LIST,
                    Some(3),
                    format!("Q3 says revision {other} but the Declaration (J3) says {one}"),
                );
                Ok(one)
            }
            (Some(version), _) | (None, Some(version)) => Ok(version),
            (None, None) => Err(ImportError::NotTemplate {
                file: self.file.to_owned(),
                message: format!(
                    "no template revision in `{DECLARATION}` J3 or `{SMELTER_LIST}` Q3: not an RMI {} workbook",
                    self.template.name()
                ),
            }),
        }
    }

    /// The template's structure, whatever its language: the Smelter List header in row 4 and
    /// the question headers on the Declaration at the layout's rows.
    fn check_structure(
        &mut self,
        declaration: &Sheet,
        smelters: &Sheet,
        layout: &Layout,
    ) -> Result<(), ImportError> {
        // A label is a formula: saved without its value, it still marks the header.
        let missing: Vec<String> = (B..=G)
            .filter(|column| !smelters.is_filled(HEADER_ROW, *column))
            .map(|column| format!("{}{HEADER_ROW}", column_name(column)))
            .collect();
        if !missing.is_empty() {
            return Err(ImportError::NotTemplate {
                file: self.file.to_owned(),
                message: format!(
                    "`{SMELTER_LIST}` has no header in row {HEADER_ROW} (empty: {}): not an RMI {} smelter list",
                    missing.join(", "),
                    self.template.name()
                ),
            });
        }
        let headers: Vec<u32> = (0..layout.questions)
            .map(|question| layout.first_question_row + question * layout.question_stride)
            .collect();
        let labelled = headers
            .iter()
            .filter(|row| declaration.is_filled(**row, B))
            .count();
        if labelled == 0 {
            return Err(ImportError::NotTemplate {
                file: self.file.to_owned(),
                message: format!(
                    "`{DECLARATION}` has no questions in column B of rows {}: not an RMI {} declaration",
                    headers
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.template.name()
                ),
            });
        }
        for row in headers {
            if !declaration.is_filled(row, B) {
                self.warn(
                    DECLARATION,
                    Some(row),
                    format!("B{row} should hold a question and is empty"),
                );
            }
        }
        Ok(())
    }

    fn company(&mut self, declaration: &Sheet, layout: &Layout) -> Map<String, Json> {
        let mut company = Map::new();
        for (field, row) in layout.company {
            let Some(text) = declaration.text(*row, D) else {
                continue;
            };
            if *field == "scope" {
                match scope(&text) {
                    Some(scope) => {
                        company.insert("scope".to_owned(), scope.into());
                    }
                    None => self.warn(
                        DECLARATION,
                        Some(*row),
                        format!("declaration scope `{text}` in D{row} is not one of the template's choices A, B, C"),
                    ),
                }
                continue;
            }
            company.insert((*field).to_owned(), text.into());
        }
        let row = layout.effective_date_row;
        let date = match declaration.get(row, D) {
            None => None,
            Some(Value::Date(serial) | Value::Number(serial)) => {
                Some(excel_date(*serial).ok_or_else(|| format!("serial number {serial}")))
            }
            Some(Value::Text(text)) => {
                Some(text_date(text).ok_or_else(|| format!("`{}`", text.trim())))
            }
            Some(other) => Some(Err(format!("{other:?}"))),
        };
        match date {
            Some(Ok(date)) => {
                company.insert("effective_date".to_owned(), date.to_string().into());
            }
            Some(Err(found)) => self.warn(
                DECLARATION,
                Some(row),
                format!("the effective date in D{row} is not a date: {found}"),
            ),
            None => {}
        }
        company
    }

    /// The minerals the answers are about, lowercase, in the order of the Declaration's rows.
    fn minerals(&mut self, declaration: &Sheet, layout: &Layout) -> Vec<String> {
        match layout.minerals {
            Minerals::Fixed(minerals) => minerals.iter().map(|m| (*m).to_owned()).collect(),
            Minerals::Chosen { slots } => {
                let listed: Vec<String> = (12..12 + slots)
                    .filter_map(|row| declaration.text(row, AA))
                    .map(|mineral| mineral.to_lowercase())
                    .collect();
                if !listed.is_empty() {
                    return listed;
                }
                // No cached values: the template sorts the chosen minerals by name.
                let mut chosen: Vec<String> = EMRT_2_CHOICES
                    .iter()
                    .filter_map(|(row, column)| declaration.text(*row, *column))
                    .filter(|choice| !choice.starts_with('('))
                    .map(|mineral| mineral.to_lowercase())
                    .collect();
                chosen.sort();
                chosen.dedup();
                chosen
            }
        }
    }

    /// The rows under a question that belong to minerals: `(row, mineral)`; answers in rows
    /// beyond the minerals are warned about.
    fn mineral_rows(
        &mut self,
        declaration: &Sheet,
        header: u32,
        layout: &Layout,
        minerals: &[String],
    ) -> Vec<(u32, String)> {
        let slots = match layout.minerals {
            Minerals::Fixed(fixed) => fixed.len() as u32,
            Minerals::Chosen { slots } => slots,
        };
        let mut rows = Vec::new();
        for slot in 0..slots {
            let row = header + 1 + slot;
            match minerals.get(slot as usize) {
                Some(mineral) => rows.push((row, mineral.clone())),
                None => {
                    if let Some(answer) = declaration.text(row, D) {
                        self.warn(
                            DECLARATION,
                            Some(row),
                            format!("answer `{answer}` in D{row} is for no mineral in scope"),
                        );
                    }
                }
            }
        }
        rows
    }

    fn answers(&mut self, declaration: &Sheet, layout: &Layout, minerals: &[String]) -> Vec<Json> {
        let mut answers = Vec::new();
        for question in 0..layout.questions {
            let header = layout.first_question_row + question * layout.question_stride;
            for (row, mineral) in self.mineral_rows(declaration, header, layout, minerals) {
                let mut answer = Map::new();
                answer.insert("question".to_owned(), (question + 1).into());
                answer.insert("metal".to_owned(), mineral.into());
                answer_cells(declaration, row, &mut answer);
                answers.push(Json::Object(answer));
            }
        }
        answers
    }

    fn company_answers(
        &mut self,
        declaration: &Sheet,
        layout: &Layout,
        minerals: &[String],
    ) -> Vec<Json> {
        let mut answers = Vec::new();
        for (letter, header, per_mineral) in layout.company_questions {
            let rows = if *per_mineral {
                self.mineral_rows(declaration, *header, layout, minerals)
                    .into_iter()
                    .map(|(row, mineral)| (row, Some(mineral)))
                    .collect()
            } else {
                vec![(*header, None)]
            };
            for (row, mineral) in rows {
                let mut answer = Map::new();
                answer.insert("question".to_owned(), (*letter).into());
                if let Some(mineral) = mineral {
                    answer.insert("metal".to_owned(), mineral.into());
                }
                answer_cells(declaration, row, &mut answer);
                answers.push(Json::Object(answer));
            }
        }
        answers
    }

    fn smelters(&mut self, sheet: &Sheet) -> Result<Vec<Json>, ImportError> {
        // The look-up's own choices for a smelter that is not in it, kept in hidden cells
        // (X4, W4); the English values are the template's, whatever the language.
        let not_listed = sheet
            .text(HEADER_ROW, X)
            .unwrap_or_else(|| "Smelter not listed".to_owned())
            .to_lowercase();
        let not_identified = sheet
            .text(HEADER_ROW, W)
            .unwrap_or_else(|| "Smelter not yet identified".to_owned())
            .to_lowercase();
        let mut smelters = Vec::new();
        for row in self.filled_rows(sheet, Q + 1)? {
            self.cell_errors(sheet, row, A..Q + 1);
            let typed_id = sheet.text(row, A);
            let found_id = sheet.text(row, F);
            let choice = sheet.text(row, C);
            let lowered = choice.as_deref().map(str::to_lowercase);
            let entry = if typed_id.is_some() {
                "id"
            } else if lowered.as_deref() == Some(not_listed.as_str()) {
                "not_listed"
            } else if lowered.as_deref() == Some(not_identified.as_str()) {
                "not_yet_identified"
            } else if choice.is_some() {
                "lookup"
            } else {
                "typed"
            };
            let name = match entry {
                "id" | "lookup" => choice
                    .or_else(|| sheet.text(row, R))
                    .or_else(|| sheet.text(row, D)),
                _ => sheet.text(row, D),
            };
            let id = match (typed_id, found_id) {
                (Some(typed), Some(found)) if typed != found => {
                    self.warn(
                        SMELTER_LIST,
                        Some(row),
                        format!("the identification number typed in A{row} (`{typed}`) differs from the one found in F{row} (`{found}`); A is kept"),
                    );
                    Some(typed)
                }
                (Some(id), _) | (None, Some(id)) => Some(id),
                (None, None) => None,
            };
            let mut smelter = Map::new();
            smelter.insert("row".to_owned(), row.into());
            smelter.insert("entry".to_owned(), entry.into());
            let metal = sheet.text(row, B).map(|metal| metal.to_lowercase());
            if let Some(metal) = &metal {
                if !self.template.metals().contains(&metal.as_str()) {
                    self.warn(
                        SMELTER_LIST,
                        Some(row),
                        format!(
                            "metal `{metal}` in B{row} is not one of the {} metals ({})",
                            self.template.name(),
                            self.template.metals().join(", ")
                        ),
                    );
                }
                smelter.insert("metal".to_owned(), metal.clone().into());
            }
            if let Some(name) = name {
                smelter.insert("name".to_owned(), name.into());
            }
            if let Some(id) = id {
                if !is_cid(&id) {
                    self.warn(
                        SMELTER_LIST,
                        Some(row),
                        format!(
                            "smelter identification `{id}` is not of the form CID and six digits"
                        ),
                    );
                }
                smelter.insert("id".to_owned(), id.into());
            }
            for (column, field) in (0u32..).zip(SMELTER_FIELDS) {
                // The look-up fills E to J by formula, and a formula reading an empty cell of
                // the look-up gives 0: there, 0 is no value.
                if (E..=J).contains(&column) && sheet.get(row, column) == Some(&Value::Number(0.0))
                {
                    continue;
                }
                // A source without a number is the template's prompt to enter details.
                if column == G && !smelter.contains_key("id") {
                    continue;
                }
                if let (Some(field), Some(text)) = (field, sheet.text(row, column)) {
                    smelter.insert(field.to_owned(), text.into());
                }
            }
            if entry == "not_yet_identified" {
                self.warn(
                    SMELTER_LIST,
                    Some(row),
                    "the smelter is declared not yet identified".to_owned(),
                );
            } else {
                self.warn_absent(
                    SMELTER_LIST,
                    row,
                    "smelter",
                    &smelter,
                    &["metal", "name", "country"],
                );
            }
            smelters.push(Json::Object(smelter));
        }
        Ok(smelters)
    }

    fn mines(&mut self, sheet: &Sheet) -> Result<Vec<Json>, ImportError> {
        let mut mines = Vec::new();
        let columns = MINE_FIELDS.len() as u32;
        for row in self.filled_rows(sheet, columns)? {
            self.cell_errors(sheet, row, A..columns);
            let mut mine = Map::new();
            mine.insert("row".to_owned(), row.into());
            for (column, field) in (0u32..).zip(MINE_FIELDS) {
                if let Some(text) = sheet.text(row, column) {
                    let text = if field == "metal" {
                        text.to_lowercase()
                    } else {
                        text
                    };
                    mine.insert(field.to_owned(), text.into());
                }
            }
            self.warn_absent(MINE_LIST, row, "mine", &mine, &["metal", "smelter", "name"]);
            mines.push(Json::Object(mine));
        }
        Ok(mines)
    }

    /// The rows below the header with anything in `0..columns`; an error past
    /// [`limits::MAX_TEMPLATE_ROWS`] of them.
    fn filled_rows(&mut self, sheet: &Sheet, columns: u32) -> Result<Vec<u32>, ImportError> {
        let mut rows = Vec::new();
        for row in HEADER_ROW + 1..=sheet.last_row {
            if !sheet.row_has_any(row, A..columns) {
                continue;
            }
            if rows.len() as u64 >= limits::MAX_TEMPLATE_ROWS {
                return Err(ImportError::at(
                    self.file,
                    Some(&sheet.name),
                    Some(u64::from(row)),
                    None,
                    format!(
                        "more than {} filled rows: not a reporting template's list",
                        limits::MAX_TEMPLATE_ROWS
                    ),
                ));
            }
            rows.push(row);
        }
        Ok(rows)
    }

    /// Warns that a row's record lacks some of the `required` fields.
    fn warn_absent(
        &mut self,
        sheet: &str,
        row: u32,
        what: &str,
        record: &Map<String, Json>,
        required: &[&str],
    ) {
        let absent: Vec<&str> = required
            .iter()
            .copied()
            .filter(|field| !record.contains_key(*field))
            .collect();
        if !absent.is_empty() {
            self.warn(
                sheet,
                Some(row),
                format!("incomplete {what} row: no {}", absent.join(", no ")),
            );
        }
    }

    /// Warns of every cell of `row` whose cached value is an Excel error.
    fn cell_errors(&mut self, sheet: &Sheet, row: u32, columns: std::ops::Range<u32>) {
        for column in columns {
            if let Some(Value::Error(error)) = sheet.get(row, column) {
                let cell = format!("{}{row}", column_name(column));
                let message = if column == B && sheet.text(row, A).is_some() {
                    format!(
                        "{cell} holds `{error}`: the identification number typed in A{row} is not in the template's smelter look-up"
                    )
                } else {
                    format!("{cell} holds the Excel error `{error}`")
                };
                self.warn(&sheet.name, Some(row), message);
            }
        }
    }
}

/// The answer (column D) and comment (column G) of a Declaration row.
fn answer_cells(declaration: &Sheet, row: u32, answer: &mut Map<String, Json>) {
    if let Some(text) = declaration.text(row, D) {
        answer.insert("answer".to_owned(), text.into());
    }
    if let Some(text) = declaration.text(row, G) {
        answer.insert("comment".to_owned(), text.into());
    }
}

/// The revision number in a text such as `Revision 6.5\nApril 25, 2025`: the first run of
/// digits with one decimal point.
fn revision(text: &str) -> Option<String> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = text.get(start..)?;
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let number = rest.get(..end)?.trim_end_matches('.');
    let (major, minor) = number.split_once('.')?;
    (!major.is_empty() && !minor.is_empty() && !minor.contains('.')).then(|| number.to_owned())
}

/// The declaration scope by the letter the template's choices start with.
fn scope(text: &str) -> Option<&'static str> {
    match text.trim().split('.').next()?.trim() {
        "A" => Some("company"),
        "B" => Some("product"),
        "C" => Some("user_defined"),
        _ => None,
    }
}

/// `CID` and six digits, the form of an RMI smelter identification number.
pub fn is_cid(id: &str) -> bool {
    id.strip_prefix("CID")
        .is_some_and(|digits| digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_are_read_from_the_revision_cells() {
        assert_eq!(
            revision("Revision 6.5\nApril 25, 2025").as_deref(),
            Some("6.5")
        );
        assert_eq!(
            revision("Version 1.1\nOctober 14, 2022").as_deref(),
            Some("1.1")
        );
        assert_eq!(revision("Revision 6.22").as_deref(), Some("6.22"));
        assert_eq!(revision("修订版 6.31"), Some("6.31".to_owned()));
        assert_eq!(revision("Revision 6"), None);
        assert_eq!(revision("no revision"), None);
    }

    #[test]
    fn scopes_are_read_by_their_letter() {
        assert_eq!(scope("A. Company"), Some("company"));
        assert_eq!(scope("B. Product (or List of Products)"), Some("product"));
        assert_eq!(
            scope("C. User defined [Specify in 'Description of scope']"),
            Some("user_defined")
        );
        assert_eq!(scope("Company"), None);
    }

    #[test]
    fn cids() {
        assert!(is_cid("CID001105"));
        assert!(!is_cid("CID1105"));
        assert!(!is_cid("cid001105"));
        assert!(!is_cid("CID00110X"));
    }
}
