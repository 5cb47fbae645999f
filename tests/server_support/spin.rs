//! A stand-in for the `abi` module, assembled byte by byte, whose calls can run forever: the
//! real module cannot (the evaluator's step budget stops it), so this is how tests reach the
//! wasmtime deadline deterministically, however loaded the machine.
//!
//! It exports what the host requires. `procura_compile` answers [`SUMMARY`] for a source of up
//! to 64 bytes and spins on a longer one; `procura_evaluate` answers status 0 with [`REPORT`] for
//! an input of up to two bytes (`{}`) and spins on a longer one.

/// What compiling any short source answers.
pub const SUMMARY: &str = r#"{"title":"Spin","version":"1","input":{"name":"x","type":{"record":null,"fields":[]}},"warnings":[]}"#;

/// What evaluating a short input answers.
pub const REPORT: &str = r#"{"decision":"approve","spin":false}"#;

/// Where the two answers lie in memory, and where every allocation starts.
const SUMMARY_AT: i32 = 16;
const REPORT_AT: i32 = 512;
const ALLOCATION_AT: i32 = 1024;

/// The binary module.
pub fn module() -> Vec<u8> {
    const I32: u8 = 0x7f;
    let types: [(&[u8], &[u8]); 6] = [
        (&[I32], &[I32]),                     // alloc
        (&[I32, I32], &[]),                   // free
        (&[I32, I32], &[I32]),                // compile
        (&[I32, I32, I32, I32, I32], &[I32]), // evaluate
        (&[I32], &[]),                        // drop
        (&[], &[I32]),                        // result_ptr, result_len
    ];
    let mut type_section = vector_header(types.len());
    for (params, results) in types {
        type_section.push(0x60);
        type_section.extend(vector(params));
        type_section.extend(vector(results));
    }
    let exports = [
        "procura_alloc",
        "procura_free",
        "procura_compile",
        "procura_evaluate",
        "procura_drop",
        "procura_result_ptr",
        "procura_result_len",
    ];
    let function_types = [0u8, 1, 2, 3, 4, 5, 5];
    let mut export_section = vector_header(exports.len() + 1);
    export_section.extend(vector(b"memory"));
    export_section.extend([0x02, 0x00]);
    for (index, name) in exports.iter().enumerate() {
        export_section.extend(vector(name.as_bytes()));
        export_section.push(0x00);
        export_section.extend(unsigned(index));
    }
    // Two mutable i32 globals, the address and length of the last answer.
    let global = [I32, 0x01, 0x41, 0x00, 0x0b];
    let mut global_section = vector_header(2);
    global_section.extend(global);
    global_section.extend(global);

    let answer = |at: i32, text: &str, status: i32| {
        let mut code = const_i32(at);
        code.extend([0x24, 0x00]); // global.set 0
        code.extend(const_i32(text.len() as i32));
        code.extend([0x24, 0x01]); // global.set 1
        code.extend(const_i32(status));
        code
    };
    let bodies = [
        const_i32(ALLOCATION_AT),
        Vec::new(),
        [spin_if_longer(1, 64), answer(SUMMARY_AT, SUMMARY, 1)].concat(),
        [spin_if_longer(2, 2), answer(REPORT_AT, REPORT, 0)].concat(),
        Vec::new(),
        vec![0x23, 0x00], // global.get 0
        vec![0x23, 0x01], // global.get 1
    ];
    let mut code_section = vector_header(bodies.len());
    for body in bodies {
        // No locals; the body; `end`.
        code_section.extend(vector(&[&[0x00], &body[..], &[0x0b]].concat()));
    }
    let mut data_section = vector_header(2);
    for (at, text) in [(SUMMARY_AT, SUMMARY), (REPORT_AT, REPORT)] {
        data_section.push(0x00);
        data_section.extend(const_i32(at));
        data_section.push(0x0b);
        data_section.extend(vector(text.as_bytes()));
    }

    let mut module = b"\0asm\x01\0\0\0".to_vec();
    for (id, body) in [
        (1, type_section),
        (3, vector(&function_types)),
        (5, vec![0x01, 0x00, 0x01]), // one memory of at least one page
        (6, global_section),
        (7, export_section),
        (10, code_section),
        (11, data_section),
    ] {
        module.push(id);
        module.extend(vector(&body));
    }
    module
}

/// `if (local.get(local) > limit) { loop {} }`: the back edge is where wasmtime checks the
/// epoch deadline and the fuel.
fn spin_if_longer(local: u8, limit: i32) -> Vec<u8> {
    let mut code = vec![0x20, local];
    code.extend(const_i32(limit));
    // i32.gt_u; if; loop; br 0; end; end
    code.extend([0x4b, 0x04, 0x40, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b]);
    code
}

fn const_i32(mut n: i32) -> Vec<u8> {
    let mut code = vec![0x41];
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        let done = (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0);
        code.push(if done { byte } else { byte | 0x80 });
        if done {
            return code;
        }
    }
}

fn unsigned(mut n: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        bytes.push(if n == 0 { byte } else { byte | 0x80 });
        if n == 0 {
            return bytes;
        }
    }
}

fn vector_header(count: usize) -> Vec<u8> {
    unsigned(count)
}

/// Bytes prefixed with their length.
fn vector(bytes: &[u8]) -> Vec<u8> {
    [unsigned(bytes.len()), bytes.to_vec()].concat()
}
