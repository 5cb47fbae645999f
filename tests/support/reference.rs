//! Writes small reference lists in the layouts of the published ones (`docs/data.md`), for
//! `tests/import.rs`: TI's CPI results workbook and CSV, an RMI facility list, OFAC's
//! `sdn.csv`, the EU consolidated sanctions XML, the ECHA Candidate List. Deterministic; the
//! entries are real-looking but few.

#![allow(dead_code)]

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

fn workbook() -> Workbook {
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_ymd(2025, 1, 1).unwrap();
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    workbook
}

/// The CPI results workbook: a merged title above the header (row 3), the current year's
/// sheet first and an older one after it; Kosovo as TI writes it (`KSV`).
pub fn cpi_workbook() -> Vec<u8> {
    let mut workbook = workbook();
    let rows: [(&str, &str, &str, f64, f64); 5] = [
        ("Denmark", "DNK", "WE/EU", 90.0, 1.0),
        ("Japan", "JPN", "AP", 71.0, 20.0),
        ("China", "CHN", "AP", 43.0, 76.0),
        ("Kosovo", "KSV", "ECA", 44.0, 73.0),
        ("Congo, Democratic Republic", "COD", "SSA", 20.0, 163.0),
    ];
    for (year, shift) in [(2024, 0.0), (2023, 1.0)] {
        let sheet = workbook
            .add_worksheet()
            .set_name(format!("CPI{year}"))
            .unwrap();
        sheet
            .merge_range(
                0,
                0,
                0,
                5,
                &format!("Corruption Perceptions Index {year}"),
                &Format::new(),
            )
            .unwrap();
        let header = [
            "Country / Territory",
            "ISO3",
            "Region",
            &format!("CPI score {year}"),
            "Rank",
            "Sources",
        ];
        for (column, name) in (0u16..).zip(header) {
            sheet.write_string(2, column, name).unwrap();
        }
        for (row, (country, iso3, region, score, rank)) in (3u32..).zip(rows) {
            sheet.write_string(row, 0, country).unwrap();
            sheet.write_string(row, 1, iso3).unwrap();
            sheet.write_string(row, 2, region).unwrap();
            sheet.write_number(row, 3, score - shift).unwrap();
            sheet.write_number(row, 4, rank).unwrap();
            sheet.write_number(row, 5, 8.0).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

/// The CPI as CSV, with a byte order mark, a country without a score this year and a note row.
pub const CPI_CSV: &str = "\u{feff}Country / Territory,ISO3,Region,CPI score 2024,Rank,Standard error\n\
Denmark,DNK,WE/EU,90,1,1.9\n\
Peru,PER,AME,31,127,1.5\n\
Somewhere,SOM,SSA,,,\n\
\"Bolivia, Plurinational State\",BOL,AME,28,133,2.1\n";

/// An RMI Active and Conformant list: dates as Excel serial numbers, the audit cycle as text.
pub fn rmi_workbook() -> Vec<u8> {
    let mut workbook = workbook();
    let sheet = workbook.add_worksheet().set_name("Conformant").unwrap();
    sheet
        .write_string(
            0,
            0,
            "Responsible Minerals Assurance Process: Conformant Smelters and Refiners",
        )
        .unwrap();
    let header = [
        "Smelter ID",
        "Standard Smelter Name",
        "Metal",
        "Country Location",
        "Last Audit Date",
        "Audit Cycle",
    ];
    for (column, name) in (0u16..).zip(header) {
        sheet.write_string(1, column, name).unwrap();
    }
    let date = Format::new().set_num_format("dd-mmm-yyyy");
    let rows = [
        (
            "CID001105",
            "PT Timah Tbk Mentok",
            "Tin",
            "INDONESIA",
            45400.0,
            "3 years",
        ),
        (
            "CID000015",
            "Advanced Chemical Company",
            "Gold",
            "UNITED STATES OF AMERICA",
            45200.0,
            "1 year",
        ),
        (
            "CID002316",
            "Umicore Kokkola",
            "Cobalt",
            "FINLAND",
            45600.0,
            "2 years",
        ),
    ];
    for (row, (id, name, metal, country, audit, cycle)) in (2u32..).zip(rows) {
        sheet.write_string(row, 0, id).unwrap();
        sheet.write_string(row, 1, name).unwrap();
        sheet.write_string(row, 2, metal).unwrap();
        sheet.write_string(row, 3, country).unwrap();
        sheet
            .write_number_with_format(row, 4, audit, &date)
            .unwrap();
        sheet.write_string(row, 5, cycle).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

/// OFAC's `sdn.csv`: no header, `-0-` for nothing, the DOS end-of-file character last.
pub const SDN_CSV: &str = "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\
173,\"ANGLO-CARIBBEAN CO., LTD.\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\
2674,\"ABU NIDAL ORGANIZATION\",-0- ,\"SDGT] [FTO\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"a.k.a. 'ANO'.\"\r\n\
7160,\"AL-ZAWAHIRI, Ayman\",\"individual\",\"SDGT\",\"Operational and Military Leader\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 19 Jun 1951.\"\r\n\
9999,\"ANGLO-CARIBBEAN CO., LTD.\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\
\u{1a}\r\n";

/// The EU consolidated list: two entities, one with two names, one listed under two
/// regulations.
pub const EU_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2025-05-30T18:06:34.000+02:00" globalFileId="168941">
  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.27.28" logicalId="13" designationDate="2003-07-07">
    <regulation regulationType="amendment" organisationType="commission" publicationDate="2003-07-08" programme="IRQ" logicalId="42"/>
    <subjectType code="person" classificationCode="P"/>
    <nameAlias firstName="Saddam" middleName="" lastName="Hussein Al-Tikriti" wholeName="Saddam Hussein Al-Tikriti" function="" gender="M" nameLanguage="" strong="true" logicalId="17"/>
    <nameAlias wholeName="Abu Ali" strong="false" logicalId="18"/>
  </sanctionEntity>
  <sanctionEntity euReferenceNumber="EU.6504.72" logicalId="121498" designationDate="2022-02-28">
    <regulation programme="RUS" logicalId="1"/>
    <regulation programme="UKR" logicalId="2"/>
    <subjectType code="enterprise" classificationCode="E"/>
    <nameAlias wholeName="Joint Stock Company &quot;Example Defence Works&quot;" logicalId="3"/>
  </sanctionEntity>
</export>
"#;

/// The ECHA Candidate List export: a group entry without numbers, two CAS numbers in a cell.
pub const SVHC_CSV: &str = "Substance name,Description,EC No.,CAS No.,Date of inclusion,Reason for inclusion\n\
Bis(2-ethylhexyl) phthalate (DEHP),-,204-211-0,117-81-7,28/10/2008,Toxic for reproduction (Article 57c)\n\
Lead,-,231-100-4,7439-92-1,27/06/2018,Toxic for reproduction (Article 57c)\n\
\"Boric acid\",-,233-139-2,\"10043-35-3, 11113-50-1\",18/06/2010,Toxic for reproduction (Article 57c)\n\
\"Reaction products of 1,3,4-thiadiazolidine-2,5-dithione, formaldehyde and 4-heptylphenol\",-,-,-,08/07/2021,Endocrine disrupting properties (Article 57(f) - environment)\n\
Substance with an EC number only,-,701-282-1,-,17/01/2023,PBT (Article 57d)\n";
