//! STUB (owned by the CLI work).
fn main() {}
