//! A plain WebAssembly module with a C ABI and no imports (`docs/abi.md`), so that any runtime
//! (wasmtime, wasmer, a browser without JavaScript glue) can host the evaluator.
//!
//! Architecture invariant: the `extern "C"` functions only move bytes across the boundary; what
//! they compute is done by [`compile_source`] and [`evaluate_bytes`], which are ordinary safe
//! functions (and tested natively). Every outcome, errors included, is JSON text left in one
//! result buffer that the host reads with [`procura_result_ptr`] and [`procura_result_len`].

use std::alloc::{self, Layout};
use std::cell::RefCell;

use crate::input::{self, InputError, InputErrors};
use crate::policy::{self, EvaluateError, LastOptions, Options, Policy, Sources};

/// What [`procura_evaluate`] returns; the result buffer then holds the matching JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Status {
    /// The report of LANGUAGE.md §8.
    Report = 0,
    /// `{"error": "input", "errors": [...]}`: the input or the reference data is invalid.
    Input = 1,
    /// `{"error": "options", "message": ..., "errors": [...]}`: the options are malformed (the
    /// errors are input errors at `$options...`).
    Options = 2,
    /// `{"error": "handle", "message": ...}`: no compiled policy has this handle.
    Handle = 3,
    /// `{"error": "evaluation", "message": ..., "help": ...}`: the evaluation was stopped
    /// (`max_steps` of the options, by default `limits::MAX_EVAL_STEPS`).
    Evaluation = 4,
}

#[derive(Default)]
struct State {
    /// Compiled policies; handle `n` is slot `n - 1`, so that 0 can mean failure.
    policies: Vec<Option<Compiled>>,
    /// Kept between calls so that its capacity is reused.
    result: String,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
}

/// Compiles a source. On success returns the policy and
/// `{"title", "version", "input", "warnings"}`; on failure `{"error": "compile", "diagnostics"}`.
pub fn compile_source(source: &str) -> (Option<Policy>, String) {
    compile_sources(&Sources::root(source))
}

/// [`compile_source`] of a policy that imports libraries: `files` is the JSON object
/// `{"lib/minerals.policy": "text", ...}` of LANGUAGE.md §9.1, keyed by path from the source's
/// directory. Files that are not such an object fail with a `message` and no diagnostics.
pub fn compile_with_files(source: &str, files: &[u8]) -> (Option<Policy>, String) {
    let files: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(files) {
        Ok(files) => files,
        Err(error) => {
            let message = format!("the files are not a JSON object of path: text: {error}");
            return (None, compile_failure(&message));
        }
    };
    let sources = Sources::load(source, |path| match files.get(path) {
        Some(serde_json::Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(format!("the file `{path}` is not a JSON string")),
        None => Err(format!("the files have no `{path}`")),
    });
    compile_sources(&sources)
}

fn compile_sources(sources: &Sources) -> (Option<Policy>, String) {
    match policy::compile_sources(sources) {
        Ok(policy) => {
            let program = policy.program();
            let summary = serde_json::json!({
                "title": program.title,
                "version": program.version,
                "input": policy.input_schema(),
                "warnings": sources.diagnostics_json(policy.warnings()),
            });
            (Some(policy), summary.to_string())
        }
        Err(diagnostics) => {
            let failure = serde_json::json!({
                "error": "compile",
                "diagnostics": sources.diagnostics_json(&diagnostics),
            });
            (None, failure.to_string())
        }
    }
}

/// `{"error": "compile", "diagnostics": [], "message"}`: a compile that read no source.
fn compile_failure(message: &str) -> String {
    serde_json::json!({"error": "compile", "diagnostics": [], "message": message}).to_string()
}

/// A compiled policy and what the options of its last evaluation gave.
struct Compiled {
    policy: Policy,
    options: LastOptions<Result<Options, InputErrors>>,
}

/// Evaluates a record (JSON text) with options `{"as_of": "YYYY-MM-DD", "data": {...},
/// "max_steps": N}` ([`Options`]; `as_of` required: the module has no clock).
pub fn evaluate_bytes(policy: &Policy, input: &[u8], options: &[u8]) -> (Status, String) {
    let mut compiled = Compiled {
        policy: policy.clone(),
        options: LastOptions::default(),
    };
    let mut out = String::new();
    let status = evaluate_into(&mut compiled, input, options, &mut out);
    (status, out)
}

/// [`evaluate_bytes`] writing into `out`, reusing what the previous call made of the options
/// when they are the same bytes.
fn evaluate_into(
    compiled: &mut Compiled,
    input: &[u8],
    options: &[u8],
    out: &mut String,
) -> Status {
    let Compiled {
        policy,
        options: last,
    } = compiled;
    let options = match last.get(options, |bytes| Options::from_json_bytes(bytes, policy)) {
        Ok(options) => options,
        Err(errors) => {
            out.push_str(&options_error(errors));
            return Status::Options;
        }
    };
    let Some(today) = options.as_of else {
        out.push_str(&options_error(&InputErrors {
            errors: vec![InputError {
                path: format!("{}.as_of", input::OPTIONS),
                expected: "date (YYYY-MM-DD)".to_owned(),
                found: "nothing".to_owned(),
                message: "`as_of` is required: the module has no clock".to_owned(),
            }],
        }));
        return Status::Options;
    };
    match policy.evaluate_with_options(policy.input_from_bytes(input), options, today) {
        Ok(report) => {
            report.write_json(out);
            Status::Report
        }
        Err(error) => {
            out.push_str(&error.to_json().to_string());
            match error {
                EvaluateError::Input(_) => Status::Input,
                EvaluateError::Eval(_) => Status::Evaluation,
            }
        }
    }
}

/// `{"error": "options", "message", "errors"}`: why the options were refused, each error at
/// its path as the wasm-bindgen API reports it, and their messages joined.
fn options_error(errors: &InputErrors) -> String {
    let messages: Vec<&str> = errors.errors.iter().map(|e| e.message.as_str()).collect();
    let list = errors.to_json().get("errors").cloned().unwrap_or_default();
    serde_json::json!({"error": "options", "message": messages.join("; "), "errors": list})
        .to_string()
}

fn set_result(text: String) {
    STATE.with_borrow_mut(|state| state.result = text);
}

/// # Safety
/// `ptr` must point to `len` readable bytes (any pointer when `len` is 0).
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        // SAFETY: guaranteed by the caller (the host wrote `len` bytes at `ptr`).
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// Allocates `len` bytes for the host to write into; returns 0 when memory is exhausted. A
/// zero-length allocation returns a non-zero pointer that must not be read.
#[unsafe(no_mangle)]
pub extern "C" fn procura_alloc(len: usize) -> *mut u8 {
    match Layout::from_size_align(len, 1) {
        Ok(_) if len == 0 => std::ptr::NonNull::<u8>::dangling().as_ptr(),
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { alloc::alloc(layout) },
        Err(_) => std::ptr::null_mut(),
    }
}

/// Frees memory from [`procura_alloc`].
///
/// # Safety
/// `ptr` and `len` must be exactly a pointer returned by [`procura_alloc`] and its length,
/// freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn procura_free(ptr: *mut u8, len: usize) {
    if let (Ok(layout), false) = (Layout::from_size_align(len, 1), len == 0 || ptr.is_null()) {
        // SAFETY: guaranteed by the caller.
        unsafe { alloc::dealloc(ptr, layout) }
    }
}

/// Compiles the UTF-8 source at `src_ptr`; returns a handle (never 0), or 0 on failure. Either
/// way the result buffer holds JSON (see [`compile_source`]).
///
/// # Safety
/// `src_ptr` must point to `src_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn procura_compile(src_ptr: *const u8, src_len: usize) -> u32 {
    // SAFETY: guaranteed by the caller.
    let source = unsafe { bytes(src_ptr, src_len) };
    register(std::str::from_utf8(source).map(compile_source))
}

/// [`procura_compile`] of a policy that imports libraries: `files_ptr` holds the JSON object of
/// the libraries' texts by path (see [`compile_with_files`]).
///
/// # Safety
/// Both pointers must point to as many readable bytes as their lengths say.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn procura_compile_files(
    src_ptr: *const u8,
    src_len: usize,
    files_ptr: *const u8,
    files_len: usize,
) -> u32 {
    // SAFETY: guaranteed by the caller.
    let (source, files) = unsafe { (bytes(src_ptr, src_len), bytes(files_ptr, files_len)) };
    register(std::str::from_utf8(source).map(|source| compile_with_files(source, files)))
}

/// Leaves a compile's result in the result buffer and keeps its policy under a new handle (0
/// when it failed).
fn register(compiled: Result<(Option<Policy>, String), std::str::Utf8Error>) -> u32 {
    let (policy, result) = match compiled {
        Ok(compiled) => compiled,
        Err(error) => (
            None,
            compile_failure(&format!("the source is not valid UTF-8: {error}")),
        ),
    };
    set_result(result);
    let Some(policy) = policy else { return 0 };
    STATE.with_borrow_mut(|state| {
        let slot = match state.policies.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                state.policies.push(None);
                state.policies.len() - 1
            }
        };
        if let Some(entry) = state.policies.get_mut(slot) {
            *entry = Some(Compiled {
                policy,
                options: LastOptions::default(),
            });
        }
        u32::try_from(slot + 1).unwrap_or(0)
    })
}

/// Evaluates the input JSON at `input_ptr` with the options JSON at `options_ptr`; returns a
/// [`Status`] and leaves the report or error JSON in the result buffer.
///
/// # Safety
/// Both pointers must point to as many readable bytes as their lengths say.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn procura_evaluate(
    handle: u32,
    input_ptr: *const u8,
    input_len: usize,
    options_ptr: *const u8,
    options_len: usize,
) -> u32 {
    // SAFETY: guaranteed by the caller.
    let (input, options) =
        unsafe { (bytes(input_ptr, input_len), bytes(options_ptr, options_len)) };
    STATE.with_borrow_mut(|state| {
        let State { policies, result } = state;
        result.clear();
        let compiled = policy_slot(handle).and_then(|i| policies.get_mut(i)?.as_mut());
        let status = match compiled {
            Some(compiled) => evaluate_into(compiled, input, options, result),
            None => {
                result.push_str(&unknown_handle(handle));
                Status::Handle
            }
        };
        status as u32
    })
}

/// Releases a compiled policy; its handle may later be reused. Unknown handles are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn procura_drop(handle: u32) {
    STATE.with_borrow_mut(|state| {
        if let Some(entry) = policy_slot(handle).and_then(|i| state.policies.get_mut(i)) {
            *entry = None;
        }
    });
}

/// The address of the result buffer of the last call; valid until the next call.
#[unsafe(no_mangle)]
pub extern "C" fn procura_result_ptr() -> *const u8 {
    STATE.with_borrow(|state| state.result.as_ptr())
}

/// The length in bytes of the result buffer of the last call.
#[unsafe(no_mangle)]
pub extern "C" fn procura_result_len() -> usize {
    STATE.with_borrow(|state| state.result.len())
}

fn policy_slot(handle: u32) -> Option<usize> {
    usize::try_from(handle).ok()?.checked_sub(1)
}

fn unknown_handle(handle: u32) -> String {
    serde_json::json!({
        "error": "handle",
        "message": format!("no compiled policy has the handle `{handle}`"),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
        policy "Tiny" version "1"
        input supplier { name: text, spend: number? }
        rule big "Big spend" {
          require supplier.spend < 100
          else review "{supplier.name} spends {supplier.spend}"
        }
    "#;

    #[test]
    fn files_give_the_libraries_a_policy_imports() {
        let source = "import \"lib/limits.policy\"\ninput supplier { spend: number }\n\
                      rule big \"Big\" { require supplier.spend < LIMIT else review \"big\" }";
        let files = br#"{"lib/limits.policy": "const LIMIT = 100"}"#;
        let (policy, summary) = compile_with_files(source, files);
        assert!(policy.is_some(), "{summary}");
        let (policy, failure) = compile_with_files(
            source,
            br#"{"lib/limits.policy": "const LIMIT = \"x\" + 1"}"#,
        );
        assert!(policy.is_none());
        let failure: serde_json::Value = serde_json::from_str(&failure).unwrap();
        assert_eq!(failure["diagnostics"][0]["file"], "lib/limits.policy");
        let (policy, failure) = compile_with_files(source, b"{}");
        assert!(policy.is_none());
        assert!(failure.contains("E0402"), "{failure}");
        let (policy, failure) = compile_with_files(source, b"[1]");
        assert!(policy.is_none());
        assert!(failure.contains("not a JSON object"), "{failure}");
    }

    fn compiled() -> Policy {
        let (policy, summary) = compile_source(POLICY);
        assert!(summary.contains(r#""title":"Tiny""#), "{summary}");
        policy.expect("the policy compiles")
    }

    fn error_of(json: &str) -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(json).expect("error JSON")["error"].clone()
    }

    #[test]
    fn compile_failure_lists_diagnostics() {
        let (policy, result) = compile_source("input supplier { name: txt }");
        assert!(policy.is_none());
        let result: serde_json::Value = serde_json::from_str(&result).expect("JSON");
        assert_eq!(result["error"], "compile");
        assert!(!result["diagnostics"].as_array().expect("list").is_empty());
    }

    #[test]
    fn input_schema_keeps_field_order_and_optionality() {
        let (_, summary) = compile_source(POLICY);
        let summary: serde_json::Value = serde_json::from_str(&summary).expect("JSON");
        assert_eq!(
            summary["input"],
            serde_json::json!({"name": "supplier", "fields": [
                {"name": "name", "type": {"kind": "text", "optional": false}},
                {"name": "spend", "type": {"kind": "number", "optional": true}},
            ]})
        );
    }

    #[test]
    fn malformed_input_is_an_input_error_at_the_root() {
        let (status, result) =
            evaluate_bytes(&compiled(), b"{\"name\": ", br#"{"as_of": "2025-01-01"}"#);
        assert_eq!(status, Status::Input);
        let result: serde_json::Value = serde_json::from_str(&result).expect("JSON");
        assert_eq!(result["errors"][0]["path"], "$");
    }

    #[test]
    fn options_are_checked() {
        let policy = compiled();
        for options in [
            &b""[..],
            b"[]",
            br#"{"as_of": "2025-02-30"}"#,
            br#"{"as_of": 20250101}"#,
            br#"{"asof": "2025-01-01"}"#,
            br#"{"as_of": "2025-01-01", "date": {}}"#,
        ] {
            let (status, result) = evaluate_bytes(&policy, b"{}", options);
            assert_eq!(status, Status::Options, "{result}");
            assert_eq!(error_of(&result), "options");
        }
    }

    #[test]
    fn handles_are_checked_and_reused() {
        let source = POLICY.as_bytes();
        // SAFETY: the pointers and lengths come from live slices.
        let first = unsafe { procura_compile(source.as_ptr(), source.len()) };
        assert_ne!(first, 0);
        procura_drop(first);
        let options = br#"{"as_of": "2025-01-01"}"#;
        // SAFETY: as above.
        let status =
            unsafe { procura_evaluate(first, b"{}".as_ptr(), 2, options.as_ptr(), options.len()) };
        assert_eq!(status, Status::Handle as u32);
        // SAFETY: as above.
        let second = unsafe { procura_compile(source.as_ptr(), source.len()) };
        assert_eq!(second, first);
        // SAFETY: as above.
        let status =
            unsafe { procura_evaluate(0, b"{}".as_ptr(), 2, options.as_ptr(), options.len()) };
        assert_eq!(status, Status::Handle as u32);
    }

    #[test]
    fn reused_options_give_the_answers_of_fresh_ones() {
        const TABLE: &str = r#"
            policy "Table" version "1"
            input supplier { country: text }
            table sanctioned: text -> bool
            rule sanctions "Sanctions" {
              forbid sanctioned[supplier.country] ?? false
              else reject "sanctioned"
            }
        "#;
        let source = TABLE.as_bytes();
        // SAFETY: the pointers and lengths come from live slices.
        let handle = unsafe { procura_compile(source.as_ptr(), source.len()) };
        assert_ne!(handle, 0);
        let (policy, _) = compile_source(TABLE);
        let policy = policy.expect("the policy compiles");
        let input = br#"{"country": "DK"}"#;
        let options = [
            &br#"{"as_of": "2025-01-01", "data": {"sanctioned": {}}}"#[..],
            br#"{"as_of": "2025-01-01", "data": {"sanctioned": {"DK": true}}}"#,
            // Same length, one byte apart.
            br#"{"as_of": "2025-01-01", "data": {"sanctioned": {"DE": true}}}"#,
            br#"{"as_of": "2025-01-01", "data": {"sanctioned": {"DK": 1}}}"#,
            br#"{"as_of": "2025-01-01", "data": {"sanctioned": {"DK": true}}}"#,
            br#"{"as_of": "2025-01-01", "data": {"sanctioned": {}}}"#,
            br#"{"as_of": "2025-01-01", "data": {"sanctioned": {}}}"#,
        ];
        let mut decisions = Vec::new();
        for options in options {
            // SAFETY: as above.
            let status = unsafe {
                procura_evaluate(
                    handle,
                    input.as_ptr(),
                    input.len(),
                    options.as_ptr(),
                    options.len(),
                )
            };
            let result = STATE.with_borrow(|state| state.result.clone());
            assert_eq!(
                (status, result.clone()),
                {
                    let (status, fresh) = evaluate_bytes(&policy, input, options);
                    (status as u32, fresh)
                },
                "{}",
                String::from_utf8_lossy(options)
            );
            let result: serde_json::Value = serde_json::from_str(&result).expect("JSON");
            decisions.push(result["decision"].as_str().unwrap_or("error").to_owned());
        }
        assert_eq!(
            decisions,
            [
                "approve", "reject", "approve", "error", "reject", "approve", "approve"
            ]
        );
        procura_drop(handle);
    }
}
