//! STUB (owned by the checker work).
use crate::program::Program;

pub fn lower(program: Program) -> Program {
    program
}
