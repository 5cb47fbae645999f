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

use std::convert::Infallible;

use axum::body::Bytes;

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
                read.template = Template::from_kind(value)?;
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
pub struct Upload {
    /// The name messages give the workbook: the part's file name, else `workbook`.
    pub name: String,
    pub workbook: Bytes,
    /// The `request` part: `{"input", "data", "as_of"}`.
    pub request: Option<Bytes>,
}

/// Splits a body by its content type: `multipart/form-data` into its parts (RFC 7578, read by
/// `multer`), anything else is the workbook alone.
pub async fn upload(content_type: Option<&str>, body: Vec<u8>) -> Result<Upload, String> {
    let body = Bytes::from(body);
    let multipart = content_type.filter(|content_type| {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case("multipart/form-data")
    });
    let Some(content_type) = multipart else {
        return Ok(Upload {
            name: "workbook".to_owned(),
            workbook: body,
            request: None,
        });
    };
    let malformed = |error: multer::Error| format!("the multipart body is malformed: {error}");
    let boundary = multer::parse_boundary(content_type).map_err(malformed)?;
    let body = futures_util::stream::once(async move { Ok::<_, Infallible>(body) });
    let mut parts = multer::Multipart::new(body, boundary);
    let (mut workbook, mut request) = (None, None);
    while let Some(part) = parts.next_field().await.map_err(malformed)? {
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part
            .file_name()
            .filter(|f| !f.is_empty())
            .map(str::to_owned);
        let content = part.bytes().await.map_err(malformed)?;
        match name.as_str() {
            "workbook" if workbook.is_none() => workbook = Some((file_name, content)),
            "request" if request.is_none() => request = Some(content),
            "workbook" | "request" => return Err(format!("two parts `{name}`")),
            other => {
                return Err(format!(
                    "unknown part `{other}`: the parts are `workbook` and `request`"
                ));
            }
        }
    }
    let (file_name, workbook) =
        workbook.ok_or("the multipart body has no part `workbook`".to_owned())?;
    Ok(Upload {
        name: file_name.unwrap_or_else(|| "workbook".to_owned()),
        workbook,
        request,
    })
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

    #[tokio::test]
    async fn multipart_bodies() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"request\"\r\nContent-Type: application/json\r\n\r\n{\"input\": {}}\r\n--XyZ\r\ncontent-disposition: form-data; name=\"workbook\"; filename=\"s.xlsx\"\r\n\r\nPK\x03\x04\r\n--X\r\n\r\n--XyZ--\r\n";
        let multipart = Some("multipart/form-data; boundary=\"XyZ\"");
        let upload = upload(multipart, body.to_vec()).await.unwrap();
        assert_eq!(upload.name, "s.xlsx");
        assert_eq!(upload.workbook, &b"PK\x03\x04\r\n--X\r\n"[..]);
        assert_eq!(upload.request.as_deref(), Some(&b"{\"input\": {}}"[..]));
        // Not multipart: the body is the workbook.
        let plain = super::upload(Some("application/octet-stream"), body.to_vec()).await;
        assert_eq!(plain.unwrap().workbook.len(), body.len());
        let cut = body[..body.len() - 12].to_vec();
        let error = super::upload(multipart, cut).await.unwrap_err();
        assert!(
            error.starts_with("the multipart body is malformed: "),
            "{error}"
        );
        let no_boundary = super::upload(Some("multipart/form-data"), body.to_vec()).await;
        assert!(no_boundary.unwrap_err().contains("malformed"));
        let other = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--";
        let multipart = Some("multipart/form-data; boundary=b");
        let error = super::upload(multipart, other.to_vec()).await.unwrap_err();
        assert!(error.contains("unknown part `x`"), "{error}");
        let twice = b"--b\r\nContent-Disposition: form-data; name=\"workbook\"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name=\"workbook\"\r\n\r\n2\r\n--b--";
        let error = super::upload(multipart, twice.to_vec()).await.unwrap_err();
        assert_eq!(error, "two parts `workbook`");
        let none = b"--b\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n{}\r\n--b--";
        let error = super::upload(multipart, none.to_vec()).await.unwrap_err();
        assert_eq!(error, "the multipart body has no part `workbook`");
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
