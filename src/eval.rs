//! STUB (owned by the evaluator work).
use crate::date::Date;
use crate::policy::ReferenceData;
use crate::program::{Expr, Program, Value};
use crate::report::Report;

/// Evaluates one validated input record.
pub fn evaluate(_program: &Program, _input: &Value, _data: &ReferenceData, _today: Date) -> Report {
    unimplemented!()
}

/// Evaluates an expression that reads no input, table or `today` (constants, folding).
/// Returns the value and the runtime notes (division by zero, overflow).
pub fn eval_const(_expr: &Expr) -> (Value, Vec<String>) {
    unimplemented!()
}
