//! Writes small workbooks in the layouts of the real RMI templates (CMRT 6.x, EMRT 1.x and
//! 2.x, `docs/data.md`), deterministically, for `tests/import.rs` and `benches/import.rs`.
//! What a real workbook holds is imitated where the reader could trip: labels in another
//! language, formulas with cached values (empty text in the 2,500 prepared rows, errors where
//! a look-up fails), merged answer cells, hidden helper columns, dates as serial numbers.

#![allow(dead_code)]

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Formula, Workbook, Worksheet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cmrt,
    Emrt1,
    Emrt2,
}

/// A cell as the template would hold it.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Typed text.
    Text(String),
    /// A typed number.
    Number(f64),
    /// A date typed in a date-formatted cell: its serial number.
    Date(f64),
    /// A formula and its cached result (text; `#N/A` and the like are errors).
    Formula(String),
}

pub fn text(value: &str) -> Cell {
    Cell::Text(value.to_owned())
}

pub fn formula(result: &str) -> Cell {
    Cell::Formula(result.to_owned())
}

/// One filled row of the Smelter List, in one of the ways a supplier fills it.
#[derive(Debug, Clone)]
pub enum Smelter {
    /// The identification number typed in A; B, C, E, F, G filled by the template's formulas.
    ById {
        id: String,
        metal: String,
        name: String,
        country: String,
    },
    /// Metal (B) and smelter (C) chosen from the look-up; E, F, G filled by formulas.
    ByLookup {
        metal: String,
        name: String,
        country: String,
        id: String,
    },
    /// `Smelter not listed` in C, the name typed in D and the country in E.
    NotListed {
        metal: String,
        name: String,
        country: String,
    },
    /// `Smelter not yet identified` in C.
    NotIdentified { metal: String },
    /// Any cells, by column (0 is A): rows a supplier broke.
    Cells(Vec<(u16, Cell)>),
}

impl Smelter {
    pub fn by_id(id: &str, metal: &str, name: &str, country: &str) -> Smelter {
        Smelter::ById {
            id: id.into(),
            metal: metal.into(),
            name: name.into(),
            country: country.into(),
        }
    }

    pub fn by_lookup(metal: &str, name: &str, country: &str, id: &str) -> Smelter {
        Smelter::ByLookup {
            metal: metal.into(),
            name: name.into(),
            country: country.into(),
            id: id.into(),
        }
    }

    pub fn not_listed(metal: &str, name: &str, country: &str) -> Smelter {
        Smelter::NotListed {
            metal: metal.into(),
            name: name.into(),
            country: country.into(),
        }
    }
}

/// A whole workbook.
#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: Kind,
    /// What `Declaration` J3 and `Smelter List` Q3 say, e.g. `Revision 6.5\nApril 25, 2025`.
    pub revision: String,
    /// Label texts in Chinese instead of English (the reader must not care).
    pub chinese: bool,
    /// Company information by Declaration row (answers in D).
    pub company: Vec<(u32, Cell)>,
    /// Answers by Declaration row: answer (D) and comment (G).
    pub answers: Vec<(u32, String, Option<String>)>,
    /// EMRT 2.x: the minerals chosen in D12, E12, G12, D13, E13, G13.
    pub chosen: Vec<String>,
    /// EMRT 2.x: whether the hidden sorted list of chosen minerals (AA12:AA21) has cached
    /// values, as Excel leaves it.
    pub cached_minerals: bool,
    /// Filled Smelter List rows by row number (from 5).
    pub smelters: Vec<(u32, Smelter)>,
    /// Mine List rows by row number (from 5), columns A to M.
    pub mines: Vec<(u32, Vec<(u16, Cell)>)>,
    /// Rows prepared with the template's formulas (cached as empty text) after row 4.
    pub prepared_rows: u32,
    /// Leave out a sheet (to test the errors).
    pub without_sheet: Option<&'static str>,
    /// Leave the Smelter List header (row 4) empty.
    pub without_header: bool,
}

impl Spec {
    pub fn new(kind: Kind, revision: &str) -> Spec {
        Spec {
            kind,
            revision: revision.to_owned(),
            chinese: false,
            company: Vec::new(),
            answers: Vec::new(),
            chosen: Vec::new(),
            cached_minerals: true,
            smelters: Vec::new(),
            mines: Vec::new(),
            prepared_rows: 20,
            without_sheet: None,
            without_header: false,
        }
    }

    /// The workbook's bytes.
    pub fn write(&self) -> Vec<u8> {
        let mut workbook = Workbook::new();
        // A fixed creation time: the same spec gives the same bytes.
        let created = ExcelDateTime::from_ymd(2025, 1, 1).unwrap();
        workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
        for name in ["Revision", "Instructions", "Definitions"] {
            workbook.add_worksheet().set_name(name).unwrap();
        }
        if self.without_sheet != Some("Declaration") {
            self.declaration(workbook.add_worksheet().set_name("Declaration").unwrap());
        }
        if self.without_sheet != Some("Smelter List") {
            self.smelter_list(workbook.add_worksheet().set_name("Smelter List").unwrap());
        }
        workbook.add_worksheet().set_name("Checker").unwrap();
        if self.kind == Kind::Emrt2 && self.without_sheet != Some("Mine List") {
            self.mine_list(workbook.add_worksheet().set_name("Mine List").unwrap());
        }
        workbook.add_worksheet().set_name("Product List").unwrap();
        workbook
            .add_worksheet()
            .set_name("Smelter Look-up")
            .unwrap();
        for name in ["L", "C", "SorP"] {
            workbook
                .add_worksheet()
                .set_name(name)
                .unwrap()
                .set_hidden(true);
        }
        workbook.save_to_buffer().unwrap()
    }

    fn label(&self, english: &str, chinese: &str) -> String {
        if self.chinese { chinese } else { english }.to_owned()
    }

    fn declaration(&self, sheet: &mut Worksheet) {
        // A formula whose cached value is empty text, as Excel leaves the prepared rows.
        sheet.set_formula_result_default("");
        let label = |sheet: &mut Worksheet, row: u32, text: String| {
            // Labels are formulas reading the hidden translation sheet, cached.
            write(sheet, row, 1, &formula(&text));
        };
        write(
            sheet,
            3,
            3,
            &text(if self.chinese {
                "中文 Chinese"
            } else {
                "English"
            }),
        );
        write(sheet, 3, 9, &text(&self.revision));
        let (company_rows, date_row, questions, first, stride, company_questions): (
            Vec<u32>,
            u32,
            u32,
            u32,
            u32,
            Vec<u32>,
        ) = match self.kind {
            Kind::Cmrt => (
                (8..=21).collect(),
                22,
                8,
                25,
                6,
                (0..8).map(|i| 75 + 2 * i).collect(),
            ),
            Kind::Emrt1 => (
                (8..=21).collect(),
                22,
                7,
                25,
                6,
                vec![69, 71, 73, 77, 79, 81, 83],
            ),
            Kind::Emrt2 => (
                (8..=25).collect(),
                26,
                7,
                29,
                12,
                vec![115, 117, 119, 131, 133, 135, 137],
            ),
        };
        for row in company_rows.iter().chain([&date_row]) {
            label(
                sheet,
                *row,
                self.label(&format!("Field {row} (*):"), &format!("字段 {row} (*)：")),
            );
            // The answer cells are merged D:J, as in the template (not where EMRT 2.x chooses
            // its minerals).
            if !(self.kind == Kind::Emrt2 && (12..=13).contains(row)) {
                sheet
                    .merge_range(*row - 1, 3, *row - 1, 9, "", &Format::new())
                    .unwrap();
            }
        }
        for question in 0..questions {
            let row = first + question * stride;
            label(
                sheet,
                row,
                self.label(
                    &format!("{}) Question {} (*)", question + 1, question + 1),
                    &format!("{}) 问题 {} (*)", question + 1, question + 1),
                ),
            );
            // The header's merged cells (D:E "Answer", G:J "Comments").
            sheet
                .merge_range(
                    row - 1,
                    3,
                    row - 1,
                    4,
                    &self.label("Answer", "回答"),
                    &Format::new(),
                )
                .unwrap();
        }
        for (letter, row) in ('A'..).zip(&company_questions) {
            label(
                sheet,
                *row,
                self.label(
                    &format!("{letter}. Question (*)"),
                    &format!("{letter}. 问题 (*)"),
                ),
            );
        }
        if self.kind == Kind::Emrt2 {
            let cells = [(12, 3), (12, 4), (12, 6), (13, 3), (13, 4), (13, 6)];
            for (mineral, (row, column)) in self.chosen.iter().zip(cells) {
                write(sheet, row, column, &text(mineral));
            }
            let mut sorted = self.chosen.clone();
            sorted.sort();
            for slot in 0..10 {
                let cached = match sorted.get(slot as usize) {
                    Some(mineral) if self.cached_minerals => mineral.as_str(),
                    _ => "",
                };
                write(sheet, 12 + slot, 26, &formula(cached));
            }
        }
        for (row, cell) in &self.company {
            write(sheet, *row, 3, cell);
        }
        for (row, answer, comment) in &self.answers {
            write(sheet, *row, 3, &text(answer));
            if let Some(comment) = comment {
                write(sheet, *row, 6, &text(comment));
            }
        }
        // The helper columns L to W are hidden, as in the template.
        for column in 11..=22 {
            sheet.set_column_hidden(column).unwrap();
        }
    }

    fn smelter_list(&self, sheet: &mut Worksheet) {
        // A formula whose cached value is empty text, as Excel leaves the prepared rows.
        sheet.set_formula_result_default("");
        write(sheet, 3, 16, &text(&self.revision));
        if !self.without_header {
            let headers = [
                (
                    "Smelter Identification Number Input Column",
                    "冶炼厂识别号码输入列",
                ),
                ("Metal (*)", "金属 (*)"),
                ("Smelter Look-up (*)", "冶炼厂查找 (*)"),
                ("Smelter Name (1)", "冶炼厂名称 (1)"),
                ("Smelter Country (*)", "冶炼厂所在国家或地区 (*)"),
                ("Smelter Identification", "冶炼厂识别"),
                (
                    "Source of Smelter Identification Number",
                    "冶炼厂出处识别号",
                ),
                ("Smelter Street", "冶炼厂所在街道"),
                ("Smelter City", "冶炼厂所在城市"),
                (
                    "Smelter Facility Location: State / Province (If applicable)",
                    "冶炼厂地址：州/省",
                ),
                ("Smelter Contact Name", "冶炼厂联系人"),
                ("Smelter Contact Email", "冶炼厂联系人电子邮件"),
                ("Proposed next steps", "建议的后续步骤"),
                (
                    "Name of Mine(s) or if recycled or scrap sourced, enter \"recycled\" or \"scrap\"",
                    "矿井名称",
                ),
                (
                    "Location (Country) of Mine(s) or if recycled or scrap sourced, enter \"recycled\" or \"scrap\"",
                    "矿井所在国家或地区",
                ),
                (
                    "Does 100% of the smelter's feedstock originate from recycled or scrap sources?",
                    "是否 100% 来自于回收料或报废料？",
                ),
                ("Comments", "注释"),
            ];
            for (column, (english, chinese)) in (0u16..).zip(headers) {
                write(sheet, 4, column, &formula(&self.label(english, chinese)));
            }
        }
        // The look-up's own choices, untranslated, in hidden cells.
        write(sheet, 4, 22, &text("Smelter not yet identified"));
        write(sheet, 4, 23, &text("Smelter Not Listed"));
        for column in 17..=33 {
            sheet.set_column_hidden(column).unwrap();
        }
        let filled: std::collections::HashMap<u32, &Smelter> = self
            .smelters
            .iter()
            .map(|(row, smelter)| (*row, smelter))
            .collect();
        let last = (4 + self.prepared_rows)
            .max(self.smelters.iter().map(|(row, _)| *row).max().unwrap_or(0));
        for row in 5..=last {
            match filled.get(&row) {
                Some(smelter) => self.smelter_row(sheet, row, smelter),
                None => {
                    // A prepared row: formulas whose cached value is empty text.
                    for column in [1, 2, 4, 5, 6, 7, 8, 9, 17] {
                        write(sheet, row, column, &formula(""));
                    }
                    write(sheet, row, 21, &formula("#N/A"));
                    write(sheet, row, 23, &Cell::Formula("0".to_owned()));
                }
            }
        }
    }

    fn smelter_row(&self, sheet: &mut Worksheet, row: u32, smelter: &Smelter) {
        match smelter {
            Smelter::ById {
                id,
                metal,
                name,
                country,
            } => {
                write(sheet, row, 0, &text(id));
                write(sheet, row, 1, &formula(metal));
                write(sheet, row, 2, &formula(name));
                write(sheet, row, 4, &formula(country));
                write(sheet, row, 5, &formula(id));
                write(sheet, row, 6, &formula("RMI"));
                // A look-up field that is empty in the look-up: the formula gives 0.
                write(sheet, row, 7, &Cell::Formula("0".to_owned()));
                write(sheet, row, 17, &formula(name));
            }
            Smelter::ByLookup {
                metal,
                name,
                country,
                id,
            } => {
                write(sheet, row, 1, &text(metal));
                write(sheet, row, 2, &text(name));
                write(sheet, row, 4, &formula(country));
                write(sheet, row, 5, &formula(id));
                write(sheet, row, 6, &formula("RMI"));
                write(sheet, row, 8, &formula("Pero"));
                write(sheet, row, 17, &formula(name));
            }
            Smelter::NotListed {
                metal,
                name,
                country,
            } => {
                write(sheet, row, 1, &text(metal));
                write(sheet, row, 2, &text("Smelter not listed"));
                write(sheet, row, 3, &text(name));
                write(sheet, row, 4, &text(country));
                write(sheet, row, 5, &formula(""));
                write(sheet, row, 6, &formula("Enter smelter details"));
            }
            Smelter::NotIdentified { metal } => {
                write(sheet, row, 1, &text(metal));
                write(sheet, row, 2, &text("Smelter not yet identified"));
            }
            Smelter::Cells(cells) => {
                for (column, cell) in cells {
                    write(sheet, row, *column, cell);
                }
            }
        }
    }

    fn mine_list(&self, sheet: &mut Worksheet) {
        // A formula whose cached value is empty text, as Excel leaves the prepared rows.
        sheet.set_formula_result_default("");
        write(sheet, 3, 12, &text(&self.revision));
        for column in 0..13u16 {
            write(
                sheet,
                4,
                column,
                &formula(&self.label(&format!("Mine column {column}"), &format!("矿 {column}"))),
            );
        }
        for (row, cells) in &self.mines {
            for (column, cell) in cells {
                write(sheet, *row, *column, cell);
            }
        }
        // The template's check column: TRUE in every prepared row.
        for row in 5..5 + self.prepared_rows {
            write(sheet, row, 17, &Cell::Formula("TRUE".to_owned()));
        }
    }
}

/// Writes a cell at a 1-based row (as the templates are documented) and 0-based column.
fn write(sheet: &mut Worksheet, row: u32, column: u16, cell: &Cell) {
    let row = row - 1;
    match cell {
        Cell::Text(value) => {
            sheet.write_string(row, column, value).unwrap();
        }
        Cell::Number(value) => {
            sheet.write_number(row, column, *value).unwrap();
        }
        Cell::Date(serial) => {
            let format = Format::new().set_num_format("dd-mmm-yyyy");
            sheet
                .write_number_with_format(row, column, *serial, &format)
                .unwrap();
        }
        Cell::Formula(result) => {
            let formula = Formula::new("=OFFSET(L!$C$1,0,0)").set_result(result.clone());
            sheet.write_formula(row, column, formula).unwrap();
        }
    }
}
