//! STUB (owned by the evaluator work).
use crate::policy::ReferenceData;
use crate::program::{Program, Value};

/// One input error of LANGUAGE.md §8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// `$.smelters[2].rmap_status`, or `$data.cpi.DK` for reference data.
    pub path: String,
    pub expected: String,
    pub found: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {} error(s)", .errors.len())]
pub struct InputErrors {
    pub errors: Vec<InputError>,
}

impl InputErrors {
    pub fn merge(mut self, other: InputErrors) -> InputErrors {
        self.errors.extend(other.errors);
        self
    }

    /// `{"error": "input", "errors": [{path, expected, found, message}]}`
    pub fn to_json(&self) -> serde_json::Value {
        unimplemented!()
    }
}

pub fn validate_input(_program: &Program, _json: &serde_json::Value) -> Result<Value, InputErrors> {
    unimplemented!()
}

pub fn validate_data(
    _program: &Program,
    _json: Option<&serde_json::Value>,
) -> Result<ReferenceData, InputErrors> {
    unimplemented!()
}
