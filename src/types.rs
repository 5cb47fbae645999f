//! The static types of the policy language (LANGUAGE.md §4), as the checker computes them.

use std::fmt;
use std::sync::Arc;

use smol_str::SmolStr;

#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Number,
    Text,
    Bool,
    Date,
    /// The type of `12 months`; it cannot be declared, only written as a literal.
    Duration,
    /// A literal union `"a" | "b"`: a subtype of `text`. Members are kept in declaration order.
    Union(Arc<[SmolStr]>),
    List(Box<Type>),
    Record(Arc<RecordType>),
    Optional(Box<Type>),
    /// The element type of `[]`: fits any list.
    Nothing,
    /// The type of an expression that already produced an error; fits everything so that one
    /// mistake is reported once.
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordType {
    /// The `type` name it was declared with, for messages.
    pub name: Option<String>,
    pub fields: Vec<FieldType>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldType {
    pub name: Arc<str>,
    pub ty: Type,
}

impl RecordType {
    pub fn field(&self, name: &str) -> Option<(usize, &FieldType)> {
        self.fields
            .iter()
            .enumerate()
            .find(|(_, f)| &*f.name == name)
    }
}

impl Type {
    pub fn optional(self) -> Type {
        match self {
            Type::Optional(_) | Type::Error => self,
            other => Type::Optional(Box::new(other)),
        }
    }

    /// The type without its outer `?`.
    pub fn required(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_))
    }

    pub fn is_error(&self) -> bool {
        matches!(self.required(), Type::Error)
    }

    /// Text or a literal union (which is a subtype of text).
    pub fn is_textual(&self) -> bool {
        matches!(self.required(), Type::Text | Type::Union(_) | Type::Error)
    }

    pub fn list_element(&self) -> Option<&Type> {
        match self.required() {
            Type::List(element) => Some(element),
            _ => None,
        }
    }

    /// The type with no optional part at any depth (list elements, record fields): what an
    /// argument is checked as, since a missing part propagates through the body (§9.2).
    pub fn deep_required(&self) -> Type {
        match self.required() {
            Type::List(element) => Type::List(Box::new(element.deep_required())),
            Type::Record(record) => Type::Record(Arc::new(RecordType {
                name: record.name.clone(),
                fields: (record.fields.iter())
                    .map(|field| FieldType {
                        name: field.name.clone(),
                        ty: field.ty.deep_required(),
                    })
                    .collect(),
            })),
            other => other.clone(),
        }
    }

    /// Whether a value of type `self` may be used where `expected` is required.
    pub fn fits(&self, expected: &Type) -> bool {
        match (self, expected) {
            (Type::Error, _) | (_, Type::Error) | (Type::Nothing, _) => true,
            (Type::Optional(a), Type::Optional(b)) => a.fits(b),
            (Type::Optional(_), _) => false,
            (a, Type::Optional(b)) => a.fits(b),
            (Type::Union(_), Type::Text) => true,
            (Type::Union(a), Type::Union(b)) => a.iter().all(|m| b.contains(m)),
            (Type::List(a), Type::List(b)) => a.fits(b),
            (Type::Record(a), Type::Record(b)) => {
                a.fields.len() == b.fields.len()
                    && a.fields
                        .iter()
                        .zip(&b.fields)
                        .all(|(x, y)| x.name == y.name && x.ty.fits(&y.ty))
            }
            (a, b) => a == b,
        }
    }

    /// The least type both fit, if any (branches of `if`/`match`, list elements).
    pub fn join(&self, other: &Type) -> Option<Type> {
        if self.is_optional() || other.is_optional() {
            return self.required().join(other.required()).map(Type::optional);
        }
        match (self, other) {
            (Type::Error, _) | (_, Type::Error) => Some(Type::Error),
            (Type::Nothing, t) | (t, Type::Nothing) => Some(t.clone()),
            (Type::Union(a), Type::Union(b)) => {
                let mut members: Vec<SmolStr> = a.to_vec();
                members.extend(b.iter().filter(|m| !a.contains(m)).cloned());
                Some(Type::Union(members.into()))
            }
            (Type::Union(_), Type::Text) | (Type::Text, Type::Union(_)) => Some(Type::Text),
            (Type::List(a), Type::List(b)) => a.join(b).map(|t| Type::List(Box::new(t))),
            (a, b) if a.fits(b) => Some(b.clone()),
            (a, b) if b.fits(a) => Some(a.clone()),
            _ => None,
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Number => f.write_str("number"),
            Type::Text => f.write_str("text"),
            Type::Bool => f.write_str("bool"),
            Type::Date => f.write_str("date"),
            Type::Duration => f.write_str("duration"),
            Type::Union(members) => {
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "\"{m}\"")?;
                }
                Ok(())
            }
            Type::List(element) => write!(f, "[{element}]"),
            Type::Record(record) => match &record.name {
                Some(name) => f.write_str(name),
                None => {
                    f.write_str("{ ")?;
                    for (i, field) in record.fields.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{}: {}", field.name, field.ty)?;
                    }
                    f.write_str(" }")
                }
            },
            Type::Optional(inner) if matches!(**inner, Type::Union(_)) => write!(f, "({inner})?"),
            Type::Optional(inner) => write!(f, "{inner}?"),
            Type::Nothing => f.write_str("nothing"),
            Type::Error => f.write_str("unknown"),
        }
    }
}
