//! Pure operations on present values: structural equality, ordering, decimal rounding.

use std::cmp::Ordering;

use crate::program::Value;

/// Structural equality of two values that hold no missing part.
pub fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Text(x), Value::Text(y)) => x == y,
        (Value::Date(x), Value::Date(y)) => x == y,
        (Value::Duration(x), Value::Duration(y)) => x == y,
        (Value::List(x), Value::List(y)) | (Value::Record(x), Value::Record(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(x, y)| equal(x, y))
        }
        _ => false,
    }
}

/// The order of two numbers, two dates or two texts (texts by Unicode scalar, which is the
/// byte order of UTF-8); `None` for anything else, which the checker rules out.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        _ => None,
    }
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
    use super::round;

    #[test]
    fn rounds_on_the_shortest_decimal() {
        assert_eq!(round(1.005, 2), 1.01);
        assert_eq!(round(2.675, 2), 2.68);
        assert_eq!(round(-2.5, 0), -3.0);
        assert_eq!(round(2.4, 0), 2.0);
        assert_eq!(round(0.005, 2), 0.01);
        assert_eq!(round(0.004, 2), 0.0);
        assert_eq!(round(0.0004, 2), 0.0);
        assert_eq!(round(1234.0, -2), 1200.0);
        assert_eq!(round(1250.0, -2), 1300.0);
        assert_eq!(round(99.96, 1), 100.0);
        assert_eq!(round(9.5, 0), 10.0);
        assert_eq!(round(58.75, 5), 58.75);
        assert_eq!(round(0.5, 0), 1.0);
        assert_eq!(round(0.4, 0), 0.0);
    }
}
