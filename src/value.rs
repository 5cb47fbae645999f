//! Runtime values: what input validation produces, constants hold and the evaluator computes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

pub use smol_str::SmolStr;

use crate::date::{Date, Duration};

/// A runtime value. Records hold their fields in the declared order of their record type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An unknown value and why it is unknown (an index into the evaluator's cause arena;
    /// `MissingCause::NONE` when no input path explains it).
    Missing(MissingCause),
    Bool(bool),
    Number(f64),
    Text(SmolStr),
    Date(Date),
    Duration(Duration),
    List(Arc<[Value]>),
    Record(Arc<[Value]>),
}

/// Why a value is missing, as an index into the current evaluation's cause arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MissingCause(pub u32);

impl MissingCause {
    /// Missing for a reason no input can fix (division by zero, an empty `min`): no path.
    pub const NONE: MissingCause = MissingCause(0);
}

// Texts live inside values of the size they had as `Arc<str>`s: 24 bytes.
const _: () = assert!(size_of::<Value>() == 24);

impl Value {
    pub const MISSING: Value = Value::Missing(MissingCause::NONE);

    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing(_))
    }

    /// Structural equality of two values that hold no missing part.
    #[inline]
    pub fn equal(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Number(x), Value::Number(y)) => x == y,
            (Value::Text(x), Value::Text(y)) => x == y,
            (Value::Date(x), Value::Date(y)) => x == y,
            (Value::Duration(x), Value::Duration(y)) => x == y,
            (Value::List(x), Value::List(y)) | (Value::Record(x), Value::Record(y)) => {
                x.len() == y.len() && x.iter().zip(y.iter()).all(|(x, y)| x.equal(y))
            }
            _ => false,
        }
    }

    /// The order of two numbers, two dates or two texts (texts by Unicode scalar, which is the
    /// byte order of UTF-8); `None` for anything else, which the checker rules out.
    #[inline(always)]
    pub fn compare(&self, other: &Value) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
            (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
            (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
            _ => None,
        }
    }
}

/// A table key: the hashable values (`text`, literal unions, `number`, `date`, `bool`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Text(SmolStr),
    /// The bits of a finite f64 with `-0.0` normalised to `0.0`.
    Number(u64),
    Date(Date),
    Bool(bool),
}

impl Key {
    /// The key as the value it was made from.
    pub fn into_value(self) -> Value {
        match self {
            Key::Text(text) => Value::Text(text),
            Key::Number(bits) => Value::Number(f64::from_bits(bits)),
            Key::Date(date) => Value::Date(date),
            Key::Bool(b) => Value::Bool(b),
        }
    }

    /// `None` for values that cannot be keys (missing, lists, records, NaN).
    pub fn from_value(value: &Value) -> Option<Key> {
        match value {
            Value::Text(t) => Some(Key::Text(t.clone())),
            Value::Number(n) if n.is_finite() => Some(Key::Number((n + 0.0).to_bits())),
            Value::Date(d) => Some(Key::Date(*d)),
            Value::Bool(b) => Some(Key::Bool(*b)),
            _ => None,
        }
    }
}

/// The rows of a table. Keys are few and short and come from the policy and its reference
/// data, so a simple FNV-1a hash serves lookups better than SipHash (a fifth of a lookup).
/// Text keys, by far the most common, have a map of their own so that a lookup hashes the
/// text it is given, without building a `Key`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableEntries {
    texts: HashMap<SmolStr, Value, BuildHasherDefault<Fnv>>,
    others: HashMap<Key, Value, BuildHasherDefault<Fnv>>,
}

impl TableEntries {
    pub fn new() -> TableEntries {
        TableEntries::default()
    }

    /// Room for `capacity` text keys.
    pub fn with_capacity(capacity: usize) -> TableEntries {
        TableEntries {
            texts: HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
            others: HashMap::default(),
        }
    }

    pub fn insert(&mut self, key: Key, value: Value) -> Option<Value> {
        match key {
            Key::Text(text) => self.texts.insert(text, value),
            key => self.others.insert(key, value),
        }
    }

    /// The row of a key given as a value; `None` for values that cannot be keys.
    #[inline]
    pub fn get_value(&self, key: &Value) -> Option<&Value> {
        match key {
            Value::Text(text) => self.get_text(text),
            key => self.others.get(&Key::from_value(key)?),
        }
    }

    /// The row of a text key. A `SmolStr`, not a `str`: two short texts compare without a call.
    #[inline]
    pub fn get_text(&self, key: &SmolStr) -> Option<&Value> {
        self.texts.get(key)
    }

    pub fn len(&self) -> usize {
        self.texts.len() + self.others.len()
    }

    /// Every row, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Key, &Value)> {
        let texts = (self.texts.iter()).map(|(key, value)| (Key::Text(key.clone()), value));
        texts.chain(self.others.iter().map(|(key, value)| (key.clone(), value)))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl FromIterator<(Key, Value)> for TableEntries {
    fn from_iter<I: IntoIterator<Item = (Key, Value)>>(rows: I) -> TableEntries {
        let mut entries = TableEntries::new();
        for (key, value) in rows {
            entries.insert(key, value);
        }
        entries
    }
}

/// FNV-1a, 64 bits.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}
