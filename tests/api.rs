//! Units of the public API that no policy exercises alone: calendar dates, the default limits,
//! the options cache of the WebAssembly hosts.

use procura::date::{Date, Duration};
use procura::limits::*;
use procura::policy::LastOptions;

fn d(text: &str) -> Date {
    Date::parse(text).unwrap()
}

#[test]
fn parses_and_prints_round_trip() {
    for text in [
        "1970-01-01",
        "2024-02-29",
        "0001-01-01",
        "9999-12-31",
        "2025-06-01",
    ] {
        assert_eq!(d(text).to_string(), text);
    }
    assert_eq!(d("1970-01-02").0, 1);
}

#[test]
fn rejects_impossible_dates() {
    for text in [
        "2025-02-29",
        "2025-02-30",
        "2025-13-01",
        "2025-00-10",
        "2025-1-01",
        "0000-01-01",
    ] {
        assert_eq!(Date::parse(text), None, "{text}");
    }
}

#[test]
fn month_arithmetic_clamps_to_month_end() {
    assert_eq!(
        d("2024-03-31").shift(Duration::Months(1), -1),
        Some(d("2024-02-29"))
    );
    assert_eq!(
        d("2023-03-31").shift(Duration::Months(1), -1),
        Some(d("2023-02-28"))
    );
    assert_eq!(
        d("2025-01-31").shift(Duration::Months(1), 1),
        Some(d("2025-02-28"))
    );
    assert_eq!(
        d("2024-02-29").shift(Duration::Months(12), 1),
        Some(d("2025-02-28"))
    );
    assert_eq!(
        d("2025-06-01").shift(Duration::Months(12), -1),
        Some(d("2024-06-01"))
    );
    assert_eq!(
        d("2025-06-01").shift(Duration::Days(14), 1),
        Some(d("2025-06-15"))
    );
    assert_eq!(d("9999-12-31").shift(Duration::Days(1), 1), None);
}

#[test]
fn defaults_are_the_constants() {
    let limits = Limits::default();
    assert_eq!(limits.max_steps, MAX_EVAL_STEPS);
    assert_eq!(limits.json_bytes("$"), MAX_INPUT_BYTES);
    assert_eq!(limits.json_bytes("$options"), MAX_OPTIONS_BYTES);
    assert_eq!(limits.json_bytes("$data"), MAX_DATA_BYTES);
    assert_eq!(
        (limits.max_input_list_len, limits.max_input_string_bytes),
        (MAX_INPUT_LIST_LEN, MAX_INPUT_STRING_BYTES)
    );
    assert_eq!(
        (limits.max_data_list_len, limits.max_data_string_bytes),
        (MAX_DATA_LIST_LEN, MAX_DATA_STRING_BYTES)
    );
}

#[test]
fn last_options_are_read_again_only_for_other_bytes() {
    let mut last = LastOptions::default();
    let mut reads = Vec::new();
    let mut read = |bytes: &[u8]| {
        reads.push(bytes.to_vec());
        bytes.len()
    };
    // Same length, one byte apart, and a tail shorter than a word.
    let texts: [&[u8]; 5] = [
        b"0123456789",
        b"0123456789",
        b"0123456788",
        b"0123",
        b"0123",
    ];
    for text in texts {
        assert_eq!(*last.get(text, &mut read), text.len());
    }
    assert_eq!(reads, [&b"0123456789"[..], b"0123456788", b"0123"]);
}
