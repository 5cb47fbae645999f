//! The reporting-template reader for browsers and Node (`wasm-reader` feature): the library's
//! own CMRT/EMRT reader (`import::cmrt`) behind two functions, built by `scripts/build-wasm.sh`
//! as a module of its own (`www/pkg-reader`) that the supplier form loads only when a workbook
//! is dropped. The record is the text `procura import` prints, byte for byte, and a refused
//! workbook throws an `Error` whose message is the CLI's error: the limits of the import
//! (size, zip bombs, malformed XML, cells per sheet) are the same code.

use wasm_bindgen::prelude::*;

use crate::import::cmrt::{self, Template};
use crate::import::json_text;
use crate::limits::MAX_WORKBOOK_BYTES;

/// What a workbook gave: the record as JSON text and the warnings, in the order found.
#[wasm_bindgen]
pub struct TemplateImport {
    json: String,
    warnings: Vec<String>,
}

#[wasm_bindgen]
impl TemplateImport {
    /// The record as `procura import cmrt` prints it (indented, keys sorted, a final newline).
    #[wasm_bindgen(getter)]
    pub fn json(&self) -> String {
        self.json.clone()
    }

    /// Each warning as the CLI prints it after `warning: ` (`` `Smelter List` row 12: ... ``).
    #[wasm_bindgen(getter)]
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// Reads a supplier's reporting template: `kind` is `cmrt` or `emrt` (as the CLI's commands),
/// `name` the file's name for messages, `bytes` the workbook. Throws an `Error` with the CLI's
/// message when the workbook is refused.
#[wasm_bindgen(js_name = readTemplate)]
pub fn read_template(kind: &str, name: &str, bytes: &[u8]) -> Result<TemplateImport, JsError> {
    let template = Template::from_kind(kind).map_err(|message| JsError::new(&message))?;
    let import =
        cmrt::read(name, bytes, template).map_err(|error| JsError::new(&error.to_string()))?;
    Ok(TemplateImport {
        json: json_text(&import.json),
        warnings: import.warnings.iter().map(ToString::to_string).collect(),
    })
}

/// The largest workbook read, in bytes: a host passes at most one byte more (the first
/// `maxWorkbookBytes() + 1` bytes of a larger file), so that a huge file is refused with the
/// CLI's error without being copied whole into WebAssembly memory.
#[wasm_bindgen(js_name = maxWorkbookBytes)]
pub fn max_workbook_bytes() -> f64 {
    MAX_WORKBOOK_BYTES as f64
}
