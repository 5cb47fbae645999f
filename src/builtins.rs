//! The built-in functions, one table: each entry is what the checker, the evaluator, the
//! diagnostics and the docs know of a function. Adding one is an entry here (and its line in
//! `docs/language.md`).
//!
//! A function receives present arguments (the evaluator makes the call missing when an argument
//! is missing or a list argument holds a missing element, charges the steps of reading list
//! elements and the first text argument, and turns a non-finite number into missing with a
//! note), so `run` is a plain function of values: `Err` is a note explaining why the result is
//! missing.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use crate::date::{Date, Duration};
use crate::limits::MAX_BUILT_TEXT_BYTES;
use crate::report::write_value;
use crate::types::Type;
use crate::value::{Fnv, Key, Value};

#[derive(Debug)]
pub struct Builtin {
    pub name: &'static str,
    /// How a call is written, for help lines and docs.
    pub signature: &'static str,
    pub params: &'static [Param],
    pub returns: Returns,
    /// A hint for an argument of a type the function does not take.
    pub misuse: Option<(Misuse, &'static str)>,
    pub run: fn(&[&Value]) -> Result<Value, &'static str>,
}

/// What a parameter accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Exactly(Type),
    AnyList,
    NumberList,
    /// A list of numbers or of dates; the function gives its element type, missing when empty.
    OrderedList,
    /// A list of numbers, texts or dates (`sort`).
    SortableList,
    /// A list of lists (`flatten`).
    ListOfLists,
    /// Any value (`to_text`).
    Any,
    /// A regular expression: a constant text, compiled by the checker (`matches`).
    Pattern,
    /// An optional last argument, the result for an empty list: of the list's element type
    /// (`min`, `max`) or a number (`avg`).
    WhenEmpty,
}

/// The result type of a call (optional when an argument is).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Returns {
    Number,
    /// A number, missing for an empty list.
    OptionalNumber,
    Text,
    Bool,
    /// The element type of the `OrderedList` argument, missing for an empty list.
    Element,
    /// A list of texts.
    Texts,
    /// The type of the first argument (a list in another order or with fewer elements).
    SameList,
    /// The element type of the first argument, a list of lists.
    Flattened,
    /// The text that interpolating the argument prints: the checker writes the call as that
    /// interpolation, `"{value}"`, which names a record's fields from its static type.
    Interpolation,
}

/// An argument type that earns a hint when a function does not take it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Misuse {
    List,
    Text,
}

impl PartialEq for Builtin {
    fn eq(&self, other: &Builtin) -> bool {
        self.name == other.name
    }
}

impl Eq for Builtin {}

impl Builtin {
    pub fn named(name: &str) -> Option<&'static Builtin> {
        BUILTINS.iter().find(|builtin| builtin.name == name)
    }
}

/// The most parameters a built-in takes: a call's arguments fit in an array of this size.
pub const MAX_PARAMS: usize = {
    let mut max = 0;
    let mut i = 0;
    while i < BUILTINS.len() {
        if BUILTINS[i].params.len() > max {
            max = BUILTINS[i].params.len();
        }
        i += 1;
    }
    max
};

const NUMBER: Param = Param::Exactly(Type::Number);
const TEXT: Param = Param::Exactly(Type::Text);
const DATE: Param = Param::Exactly(Type::Date);

pub static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "count",
        signature: "count(list)",
        params: &[Param::AnyList],
        returns: Returns::Number,
        misuse: Some((
            Misuse::Text,
            "`count` counts list elements; use `len` for the length of a text",
        )),
        run: |args| Ok(Value::Number(list(args).len() as f64)),
    },
    Builtin {
        name: "sum",
        signature: "sum(numbers)",
        params: &[Param::NumberList],
        returns: Returns::Number,
        misuse: None,
        run: |args| Ok(Value::Number(numbers(args).sum())),
    },
    Builtin {
        name: "min",
        signature: "min(numbers or dates[, when_empty])",
        params: &[Param::OrderedList, Param::WhenEmpty],
        returns: Returns::Element,
        misuse: None,
        run: |args| Ok(extreme(args, Ordering::Less)),
    },
    Builtin {
        name: "max",
        signature: "max(numbers or dates[, when_empty])",
        params: &[Param::OrderedList, Param::WhenEmpty],
        returns: Returns::Element,
        misuse: None,
        run: |args| Ok(extreme(args, Ordering::Greater)),
    },
    Builtin {
        name: "avg",
        signature: "avg(numbers[, when_empty])",
        params: &[Param::NumberList, Param::WhenEmpty],
        returns: Returns::OptionalNumber,
        misuse: None,
        run: |args| {
            let count = list(args).len();
            Ok(match count {
                0 => when_empty(args),
                _ => Value::Number(numbers(args).sum::<f64>() / count as f64),
            })
        },
    },
    Builtin {
        name: "distinct",
        signature: "distinct(list)",
        params: &[Param::AnyList],
        returns: Returns::SameList,
        misuse: None,
        run: |args| {
            // Structural equality as a hash key: scalars are keys; lists and records are
            // told apart by their JSON, which is equal exactly when they are.
            let mut seen = HashSet::<Key, BuildHasherDefault<Fnv>>::default();
            let items = list(args).iter().filter(|item| {
                seen.insert(Key::from_value(item).unwrap_or_else(|| {
                    let mut json = String::new();
                    write_value(&mut json, item, None);
                    Key::Text(json.into())
                }))
            });
            Ok(Value::List(items.cloned().collect()))
        },
    },
    Builtin {
        name: "sort",
        signature: "sort(numbers, texts or dates)",
        params: &[Param::SortableList],
        returns: Returns::SameList,
        misuse: None,
        run: |args| {
            let mut items = list(args).to_vec();
            // Equal numbers, texts or dates print alike, so an unstable sort (less code in
            // the browser module) gives the same list.
            items.sort_unstable_by(|a, b| a.compare(b).unwrap_or(Ordering::Equal));
            Ok(Value::List(items.into()))
        },
    },
    Builtin {
        name: "flatten",
        signature: "flatten(list of lists)",
        params: &[Param::ListOfLists],
        returns: Returns::Flattened,
        misuse: None,
        run: |args| {
            let inner = list(args).iter().map(|item| match item {
                Value::List(items) => &items[..],
                _ => &[],
            });
            Ok(Value::List(inner.flatten().cloned().collect()))
        },
    },
    Builtin {
        name: "len",
        signature: "len(text)",
        params: &[TEXT],
        returns: Returns::Number,
        misuse: Some((
            Misuse::List,
            "`len` measures text; use `count` for the number of elements in a list",
        )),
        run: |args| Ok(Value::Number(text(args, 0).chars().count() as f64)),
    },
    Builtin {
        name: "lower",
        signature: "lower(text)",
        params: &[TEXT],
        returns: Returns::Text,
        misuse: None,
        run: |args| Ok(Value::Text(text(args, 0).to_lowercase().into())),
    },
    Builtin {
        name: "upper",
        signature: "upper(text)",
        params: &[TEXT],
        returns: Returns::Text,
        misuse: None,
        run: |args| Ok(Value::Text(text(args, 0).to_uppercase().into())),
    },
    Builtin {
        name: "trim",
        signature: "trim(text)",
        params: &[TEXT],
        returns: Returns::Text,
        misuse: None,
        run: |args| Ok(Value::Text(text(args, 0).trim().into())),
    },
    Builtin {
        name: "starts_with",
        signature: "starts_with(text, prefix)",
        params: &[TEXT, TEXT],
        returns: Returns::Bool,
        misuse: None,
        run: |args| Ok(Value::Bool(text(args, 0).starts_with(text(args, 1)))),
    },
    Builtin {
        name: "ends_with",
        signature: "ends_with(text, suffix)",
        params: &[TEXT, TEXT],
        returns: Returns::Bool,
        misuse: None,
        run: |args| Ok(Value::Bool(text(args, 0).ends_with(text(args, 1)))),
    },
    Builtin {
        name: "matches",
        signature: "matches(text, pattern)",
        params: &[TEXT, Param::Pattern],
        returns: Returns::Bool,
        misuse: None,
        run: written_by_the_checker,
    },
    Builtin {
        name: "substring",
        signature: "substring(text, start, length)",
        params: &[TEXT, NUMBER, NUMBER],
        returns: Returns::Text,
        misuse: None,
        run: |args| {
            let (Some(start), Some(length)) = (count(args, 1), count(args, 2)) else {
                return Err("invalid `substring` start or length (not a whole number from 0)");
            };
            let part = text(args, 0).chars().skip(start).take(length);
            Ok(Value::Text(part.collect()))
        },
    },
    Builtin {
        name: "split",
        signature: "split(text, separator)",
        params: &[TEXT, TEXT],
        returns: Returns::Texts,
        misuse: None,
        run: |args| match text(args, 1) {
            "" => Err("empty `split` separator"),
            separator => Ok(Value::List(
                text(args, 0)
                    .split(separator)
                    .map(|part| Value::Text(part.into()))
                    .collect(),
            )),
        },
    },
    Builtin {
        name: "replace",
        signature: "replace(text, from, to)",
        params: &[TEXT, TEXT, TEXT],
        returns: Returns::Text,
        misuse: None,
        run: |args| {
            let (whole, from, to) = (text(args, 0), text(args, 1), text(args, 2));
            if from.is_empty() {
                return Err("empty `replace` pattern");
            }
            // Measured before it is built: a short `from` and a long `to` multiply the size.
            let grown = whole.matches(from).count().saturating_mul(to.len());
            if whole.len().saturating_add(grown) > MAX_BUILT_TEXT_BYTES {
                return Err("the text `replace` builds is too long");
            }
            Ok(Value::Text(whole.replace(from, to).into()))
        },
    },
    Builtin {
        name: "to_number",
        signature: "to_number(text)",
        params: &[TEXT],
        returns: Returns::OptionalNumber,
        misuse: None,
        run: |args| {
            let number = serde_json::from_str::<f64>(text(args, 0).trim());
            Ok(number.map_or(Value::MISSING, Value::Number))
        },
    },
    Builtin {
        name: "to_text",
        signature: "to_text(value)",
        params: &[Param::Any],
        returns: Returns::Interpolation,
        misuse: None,
        run: written_by_the_checker,
    },
    Builtin {
        name: "round",
        signature: "round(number, digits)",
        params: &[NUMBER, NUMBER],
        returns: Returns::Number,
        misuse: None,
        run: |args| {
            let digits = number(args, 1);
            if digits.fract() != 0.0 || digits.abs() > 15.0 {
                return Err("invalid `round` digits (not a whole number from -15 to 15)");
            }
            Ok(Value::Number(round(number(args, 0), digits as i32)))
        },
    },
    Builtin {
        name: "floor",
        signature: "floor(number)",
        params: &[NUMBER],
        returns: Returns::Number,
        misuse: None,
        run: |args| Ok(Value::Number(number(args, 0).floor())),
    },
    Builtin {
        name: "ceil",
        signature: "ceil(number)",
        params: &[NUMBER],
        returns: Returns::Number,
        misuse: None,
        run: |args| Ok(Value::Number(number(args, 0).ceil())),
    },
    Builtin {
        name: "abs",
        signature: "abs(number)",
        params: &[NUMBER],
        returns: Returns::Number,
        misuse: None,
        run: |args| Ok(Value::Number(number(args, 0).abs())),
    },
    Builtin {
        name: "days_between",
        signature: "days_between(first_date, second_date)",
        params: &[DATE, DATE],
        returns: Returns::Number,
        misuse: None,
        run: |args| {
            Ok(Value::Number(
                f64::from(date(args, 1).0) - f64::from(date(args, 0).0),
            ))
        },
    },
    Builtin {
        name: "months_between",
        signature: "months_between(first_date, second_date)",
        params: &[DATE, DATE],
        returns: Returns::Number,
        misuse: None,
        run: |args| {
            Ok(Value::Number(
                months_between(date(args, 0), date(args, 1)) as f64
            ))
        },
    },
    Builtin {
        name: "years_between",
        signature: "years_between(first_date, second_date)",
        params: &[DATE, DATE],
        returns: Returns::Number,
        misuse: None,
        run: |args| {
            let months = months_between(date(args, 0), date(args, 1));
            Ok(Value::Number((months / 12) as f64))
        },
    },
    Builtin {
        name: "year",
        signature: "year(date)",
        params: &[DATE],
        returns: Returns::Number,
        misuse: None,
        run: |args| Ok(Value::Number(f64::from(date(args, 0).year()))),
    },
    Builtin {
        name: "month",
        signature: "month(date)",
        params: &[DATE],
        returns: Returns::Number,
        misuse: None,
        run: |args| Ok(Value::Number(f64::from(date(args, 0).ymd().1))),
    },
    Builtin {
        name: "day",
        signature: "day(date)",
        params: &[DATE],
        returns: Returns::Number,
        misuse: None,
        run: |args| Ok(Value::Number(f64::from(date(args, 0).ymd().2))),
    },
];

/// `matches` and `to_text` are written by the checker as forms of their own (a pattern
/// compiled once; the interpolation `"{value}"`, which names a record's fields from its
/// static type), so the evaluator never calls them by the table.
fn written_by_the_checker(_: &[&Value]) -> Result<Value, &'static str> {
    Err("internal error: a call the checker writes as its own form")
}

/// The largest `n >= 0` such that `first + n months <= second` (month ends clamp), negative
/// for `second < first`: `-months_between(second, first)`.
fn months_between(first: Date, second: Date) -> i64 {
    if second < first {
        return -months_between(second, first);
    }
    let ((y1, m1, _), (y2, m2, _)) = (first.ymd(), second.ymd());
    let months = (i64::from(y2) - i64::from(y1)) * 12 + i64::from(m2) - i64::from(m1);
    // `first + months` lands in the month of `second`: one month fewer when past its day.
    match first.shift(Duration::Months(months), 1) {
        Some(landed) if landed <= second => months,
        _ => months - 1,
    }
}

// Argument readers: the checker guarantees the types, so a mismatch (never seen) reads as an
// empty value rather than panicking.

fn list<'v>(args: &[&'v Value]) -> &'v [Value] {
    match args.first() {
        Some(Value::List(items)) => items,
        _ => &[],
    }
}

fn numbers<'v>(args: &[&'v Value]) -> impl Iterator<Item = f64> + 'v {
    list(args).iter().filter_map(|item| match item {
        Value::Number(n) => Some(*n),
        _ => None,
    })
}

fn text<'v>(args: &[&'v Value], index: usize) -> &'v str {
    match args.get(index) {
        Some(Value::Text(t)) => t,
        _ => "",
    }
}

fn number(args: &[&Value], index: usize) -> f64 {
    match args.get(index) {
        Some(Value::Number(n)) => *n,
        _ => f64::NAN,
    }
}

fn date(args: &[&Value], index: usize) -> Date {
    match args.get(index) {
        Some(Value::Date(d)) => *d,
        _ => Date(0),
    }
}

/// A whole number from 0 (a count of characters), saturating past `usize`.
fn count(args: &[&Value], index: usize) -> Option<usize> {
    let n = number(args, index);
    (n >= 0.0 && n.fract() == 0.0).then_some(n as usize)
}

/// The optional last argument of `min`, `max` and `avg`: missing when not given.
fn when_empty(args: &[&Value]) -> Value {
    args.get(1).map_or(Value::MISSING, |value| (*value).clone())
}

/// The least (`Less`) or greatest (`Greater`) element of the list argument; the first of
/// equals; [`when_empty`] for none.
fn extreme(args: &[&Value], want: Ordering) -> Value {
    list(args)
        .iter()
        .reduce(|best, item| {
            if item.compare(best) == Some(want) {
                item
            } else {
                best
            }
        })
        .cloned()
        .unwrap_or_else(|| when_empty(args))
}

/// Rounds half away from zero at `digits` decimal places, on the shortest decimal that reads
/// back as `n` (so `round(1.005, 2)` is 1.01 although the f64 is slightly below 1.005).
/// `digits` is a whole number in `-15..=15`.
pub fn round(n: f64, digits: i32) -> f64 {
    // Digit i stands for 10^(exponent - i); keep those at or above 10^-digits.
    round_digits(n, |exponent| exponent + digits + 1)
}

/// Rounds half away from zero to `significant` digits, as [`round`] does: how interpolation
/// prints a number (LANGUAGE.md §9.4), so that `0.1 + 0.2 + 0.4` prints `0.7`.
pub fn round_significant(n: f64, significant: i32) -> f64 {
    // Whole numbers below 10^15 have at most 15 digits: the common case costs no formatting.
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return n;
    }
    round_digits(n, |_| significant)
}

/// Rounds half away from zero the shortest decimal that reads back as `n`, keeping as many
/// leading digits as `keep` gives for its decimal exponent.
fn round_digits(n: f64, keep: impl FnOnce(i32) -> i32) -> f64 {
    if n == 0.0 || !n.is_finite() {
        return n;
    }
    let scientific = format!("{:e}", n.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let mut kept: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let keep = keep(exponent);
    if keep >= kept.len() as i32 {
        return n;
    }
    let rounded = if keep < 0 {
        0.0
    } else {
        let keep = keep as usize;
        let round_up = kept.get(keep).is_some_and(|d| *d >= b'5');
        kept.truncate(keep);
        let mut scale = exponent - keep as i32 + 1;
        if round_up {
            let mut carry = true;
            for digit in kept.iter_mut().rev() {
                if *digit == b'9' {
                    *digit = b'0';
                } else {
                    *digit += 1;
                    carry = false;
                    break;
                }
            }
            if carry {
                kept.insert(0, b'1');
            }
        }
        if kept.is_empty() {
            kept.push(b'0');
            scale = 0;
        }
        let text = format!("{}e{scale}", String::from_utf8_lossy(&kept));
        text.parse().unwrap_or(0.0)
    };
    if n < 0.0 { -rounded } else { rounded }
}

#[cfg(test)]
mod tests {
    use super::BUILTINS;

    /// The docs list every built-in by its signature, in the table's order, and no other.
    #[test]
    fn the_docs_list_every_builtin() {
        let docs = include_str!("../docs/language.md");
        let section = docs
            .split("## Built-in functions")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap();
        let listed: Vec<&str> = section
            .lines()
            .filter_map(|line| line.strip_prefix("| `")?.split('`').next())
            .collect();
        let table: Vec<&str> = BUILTINS.iter().map(|builtin| builtin.signature).collect();
        assert_eq!(listed, table);
    }
}
