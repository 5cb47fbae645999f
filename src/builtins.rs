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

use crate::date::Date;
use crate::types::Type;
use crate::value::Value;

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
        signature: "min(numbers or dates)",
        params: &[Param::OrderedList],
        returns: Returns::Element,
        misuse: None,
        run: |args| Ok(extreme(list(args), Ordering::Less)),
    },
    Builtin {
        name: "max",
        signature: "max(numbers or dates)",
        params: &[Param::OrderedList],
        returns: Returns::Element,
        misuse: None,
        run: |args| Ok(extreme(list(args), Ordering::Greater)),
    },
    Builtin {
        name: "avg",
        signature: "avg(numbers)",
        params: &[Param::NumberList],
        returns: Returns::OptionalNumber,
        misuse: None,
        run: |args| {
            let count = list(args).len();
            Ok(match count {
                0 => Value::MISSING,
                _ => Value::Number(numbers(args).sum::<f64>() / count as f64),
            })
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
        name: "year",
        signature: "year(date)",
        params: &[DATE],
        returns: Returns::Number,
        misuse: None,
        run: |args| Ok(Value::Number(f64::from(date(args, 0).year()))),
    },
];

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

/// The least (`Less`) or greatest (`Greater`) element; the first of equals; missing for none.
fn extreme(items: &[Value], want: Ordering) -> Value {
    items
        .iter()
        .reduce(|best, item| {
            if item.compare(best) == Some(want) {
                item
            } else {
                best
            }
        })
        .cloned()
        .unwrap_or(Value::MISSING)
}

/// Rounds half away from zero at `digits` decimal places, on the shortest decimal that reads
/// back as `n` (so `round(1.005, 2)` is 1.01 although the f64 is slightly below 1.005).
/// `digits` is a whole number in `-15..=15`.
pub fn round(n: f64, digits: i32) -> f64 {
    if n == 0.0 || !n.is_finite() {
        return n;
    }
    let scientific = format!("{:e}", n.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let mut kept: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    // Digit i stands for 10^(exponent - i); keep those at or above 10^-digits.
    let keep = exponent + digits + 1;
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
