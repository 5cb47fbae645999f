//! `POST /v1/policies/NAME/evaluate-cmrt`: what the request says around a supplier's CMRT or
//! EMRT workbook (`docs/abi.md`, "Evaluating a CMRT"). The workbook is read by the importer of
//! `procura import` (`crate::import::cmrt`); this module only takes the request apart and puts
//! the imported record where the policy's input expects it.
//!
//! - The query: `template=cmrt` (the default) or `emrt`, and `field=NAME`: the record goes at
//!   that field of the input (as `procura import --into RECORD --field NAME`); without it, the
//!   record is the input (as `procura import cmrt FILE | procura eval POLICY --input -`).
//! - The body: the workbook alone (any content type but multipart), or `multipart/form-data`
//!   with a part `workbook` (the file) and an optional part `request`, a JSON object as the body
//!   of `/evaluate` (`{"input", "data", "as_of"}`) whose `input` is the rest of the supplier
//!   record.

use crate::import::cmrt::Template;

/// What the query asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct Query {
    pub template: Template,
    pub field: Option<String>,
}

/// Reads `template` and `field`; anything else is refused, so that a misspelt parameter is not
/// ignored.
pub fn query(query: Option<&str>) -> Result<Query, String> {
    let mut read = Query {
        template: Template::Cmrt,
        field: None,
    };
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "template" => {
                read.template = match value {
                    "cmrt" => Template::Cmrt,
                    "emrt" => Template::Emrt,
                    _ => return Err(format!("`template` is `cmrt` or `emrt`, not `{value}`")),
                }
            }
            "field" => {
                let identifier = value
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !identifier {
                    return Err(format!(
                        "`field` names a field of the input (letters, digits, `_`), not `{value}`"
                    ));
                }
                read.field = Some(value.to_owned());
            }
            _ => {
                return Err(format!(
                    "unknown query parameter `{key}`: the parameters are `template` and `field`"
                ));
            }
        }
    }
    Ok(read)
}

/// The parts of a request body.
#[derive(Debug, PartialEq, Eq)]
pub struct Upload<'a> {
    /// The name messages give the workbook: the part's file name, else `workbook`.
    pub name: String,
    pub workbook: &'a [u8],
    /// The `request` part: `{"input", "data", "as_of"}`.
    pub request: Option<&'a [u8]>,
}

/// Splits a body by its content type: `multipart/form-data` into its parts, anything else is
/// the workbook alone.
pub fn upload<'a>(content_type: Option<&str>, body: &'a [u8]) -> Result<Upload<'a>, String> {
    let Some(boundary) = content_type.and_then(boundary) else {
        return Ok(Upload {
            name: "workbook".to_owned(),
            workbook: body,
            request: None,
        });
    };
    let mut upload = Upload {
        name: "workbook".to_owned(),
        workbook: &[],
        request: None,
    };
    let mut workbook = false;
    for part in parts(body, boundary.as_bytes())? {
        match part.name.as_str() {
            "workbook" if !workbook => {
                workbook = true;
                upload.workbook = part.content;
                if let Some(file) = part.file_name.filter(|file| !file.is_empty()) {
                    upload.name = file;
                }
            }
            "request" if upload.request.is_none() => upload.request = Some(part.content),
            "workbook" | "request" => return Err(format!("two parts `{}`", part.name)),
            other => {
                return Err(format!(
                    "unknown part `{other}`: the parts are `workbook` and `request`"
                ));
            }
        }
    }
    if !workbook {
        return Err("the multipart body has no part `workbook`".to_owned());
    }
    Ok(upload)
}

/// The boundary of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    let mut parameters = content_type.split(';');
    let kind = parameters.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parameters.find_map(|parameter| {
        let (key, value) = parameter.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

struct Part<'a> {
    name: String,
    file_name: Option<String>,
    content: &'a [u8],
}

/// The parts of a multipart body (RFC 7578): each after a line `--BOUNDARY`, its header lines,
/// an empty line, then its bytes up to the line break before the next `--BOUNDARY`; the last
/// boundary is followed by `--`.
fn parts<'a>(body: &'a [u8], boundary: &[u8]) -> Result<Vec<Part<'a>>, String> {
    let malformed = |what: &str| format!("the multipart body is malformed: {what}");
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(malformed(
            "the boundary is empty or longer than 70 characters",
        ));
    }
    let mut delimiter = b"\r\n--".to_vec();
    delimiter.extend_from_slice(boundary);
    // The first delimiter may start the body, without a line break before it.
    let first = find(body, &delimiter[2..]).ok_or_else(|| malformed("no boundary"))?;
    let mut rest = &body[first + delimiter.len() - 2..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or_else(|| malformed("no line break after a boundary"))?;
        let end = find(rest, b"\r\n\r\n").ok_or_else(|| malformed("a part has no headers' end"))?;
        let headers =
            std::str::from_utf8(&rest[..end]).map_err(|_| malformed("headers not UTF-8"))?;
        let content = &rest[end + 4..];
        let next = find(content, &delimiter).ok_or_else(|| malformed("no closing boundary"))?;
        let (name, file_name) = disposition(headers).ok_or_else(|| {
            malformed("a part without `Content-Disposition: form-data; name=...`")
        })?;
        parts.push(Part {
            name,
            file_name,
            content: &content[..next],
        });
        rest = &content[next + delimiter.len()..];
    }
}

/// The `name` and `filename` of a part's `Content-Disposition: form-data` header.
fn disposition(headers: &str) -> Option<(String, Option<String>)> {
    let line = headers.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case("content-disposition")
            .then_some(value)
    })?;
    let mut parameters = line.split(';');
    if !parameters.next()?.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let (mut name, mut file_name) = (None, None);
    for parameter in parameters {
        let Some((key, value)) = parameter.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match key.trim() {
            "name" => name = Some(value),
            "filename" => file_name = Some(value),
            _ => {}
        }
    }
    Some((name?, file_name))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The input to evaluate: the imported record alone, or placed at `field` of the rest of the
/// record (a JSON object; a field of that name is replaced).
pub fn input(
    record: serde_json::Value,
    field: Option<&str>,
    rest: Option<&str>,
) -> Result<String, String> {
    let input = match (field, rest) {
        (None, None) => record,
        (None, Some(_)) => {
            return Err(
                "the request's `input` is the rest of the supplier record: `field` must say where the workbook goes in it"
                    .to_owned(),
            );
        }
        (Some(field), rest) => {
            let mut object = match rest {
                None => serde_json::Map::new(),
                Some(rest) => match serde_json::from_str(rest) {
                    Ok(serde_json::Value::Object(object)) => object,
                    _ => {
                        return Err(
                            "the request's `input` must be a JSON object, the rest of the supplier record"
                                .to_owned(),
                        );
                    }
                },
            };
            object.insert(field.to_owned(), record);
            serde_json::Value::Object(object)
        }
    };
    Ok(input.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries() {
        assert_eq!(
            query(Some("template=emrt&field=emrt")),
            Ok(Query {
                template: Template::Emrt,
                field: Some("emrt".to_owned())
            })
        );
        assert_eq!(query(None).map(|q| q.field), Ok(None));
        assert!(query(Some("template=xls")).is_err());
        assert!(query(Some("field=a.b")).is_err());
        assert!(query(Some("feild=cmrt")).unwrap_err().contains("`feild`"));
    }

    #[test]
    fn multipart_bodies() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"request\"\r\nContent-Type: application/json\r\n\r\n{\"input\": {}}\r\n--XyZ\r\ncontent-disposition: form-data; name=\"workbook\"; filename=\"s.xlsx\"\r\n\r\nPK\x03\x04\r\n--X\r\n\r\n--XyZ--\r\n";
        let upload = upload(Some("multipart/form-data; boundary=\"XyZ\""), body).unwrap();
        assert_eq!(upload.name, "s.xlsx");
        assert_eq!(upload.workbook, b"PK\x03\x04\r\n--X\r\n");
        assert_eq!(upload.request, Some(&b"{\"input\": {}}"[..]));
        // Not multipart: the body is the workbook.
        let plain = super::upload(Some("application/octet-stream"), body).unwrap();
        assert_eq!(plain.workbook.len(), body.len());
        let cut = &body[..body.len() - 12];
        let error = super::upload(Some("multipart/form-data; boundary=XyZ"), cut).unwrap_err();
        assert!(error.contains("no closing boundary"), "{error}");
        let other = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--";
        let error = super::upload(Some("multipart/form-data; boundary=b"), other).unwrap_err();
        assert!(error.contains("unknown part `x`"), "{error}");
    }

    #[test]
    fn the_record_goes_at_its_field() {
        let record = serde_json::json!({"version": "6.5"});
        assert_eq!(
            input(record.clone(), None, None).unwrap(),
            r#"{"version":"6.5"}"#
        );
        assert_eq!(
            input(
                record.clone(),
                Some("cmrt"),
                Some(r#"{"name": "A", "cmrt": 1}"#)
            )
            .unwrap(),
            r#"{"cmrt":{"version":"6.5"},"name":"A"}"#
        );
        assert!(input(record.clone(), None, Some("{}")).is_err());
        assert!(input(record, Some("cmrt"), Some("[]")).is_err());
    }
}
