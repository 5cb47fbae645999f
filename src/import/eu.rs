//! The EU consolidated list of persons, groups and entities subject to financial sanctions
//! (the Financial Sanctions Files' XML, about 25 MiB), read as a stream with quick-xml, as the
//! table `eu_sanctions`: every name (`nameAlias/@wholeName`) → `{id, reference, type,
//! programmes, designated}`. A document type declaration is refused (no entity of a DTD is
//! ever expanded); so is malformed XML, at its line.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value as Json};

use super::table::data;
use super::{Import, ImportError, ReferenceOptions, Warning};

pub fn read(file: &str, bytes: &[u8], options: &ReferenceOptions) -> Result<Import, ImportError> {
    super::check_text_size(file, bytes)?;
    let line_at = |position: u64| {
        let end = usize::try_from(position)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        1 + bytes
            .get(..end)
            .map_or(0, |before| before.iter().filter(|b| **b == b'\n').count()) as u64
    };
    let error = |position: u64, message: String| {
        ImportError::at(file, None, Some(line_at(position)), None, message)
    };
    let mut reader = Reader::from_reader(bytes);
    let mut buffer = Vec::new();
    let mut entries = Map::new();
    let mut warnings = Vec::new();
    let mut entity: Option<Entity> = None;
    let mut entities = 0u64;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|xml| error(reader.buffer_position(), format!("malformed XML: {xml}")))?;
        match event {
            Event::DocType(_) => {
                return Err(error(
                    position,
                    "a document type declaration (DTD) is refused".to_owned(),
                ));
            }
            Event::Start(element) | Event::Empty(element) => {
                let attribute = |name: &str| attribute(&element, name);
                match element.local_name().as_ref() {
                    "sanctionEntity" => {
                        entities += 1;
                        entity = Some(Entity {
                            id: attribute("logicalId").map_err(|m| error(position, m))?,
                            reference: attribute("euReferenceNumber")
                                .map_err(|m| error(position, m))?,
                            designated: attribute("designationDate")
                                .map_err(|m| error(position, m))?,
                            kind: None,
                            programmes: Vec::new(),
                            names: Vec::new(),
                            line: line_at(position),
                        });
                    }
                    "subjectType" => {
                        if let Some(entity) = &mut entity {
                            entity.kind = attribute("code").map_err(|m| error(position, m))?;
                        }
                    }
                    "regulation" => {
                        if let (Some(entity), Some(programme)) = (
                            &mut entity,
                            attribute("programme").map_err(|m| error(position, m))?,
                        ) && !entity.programmes.contains(&programme)
                        {
                            entity.programmes.push(programme);
                        }
                    }
                    "nameAlias" => {
                        if let (Some(entity), Some(name)) = (
                            &mut entity,
                            attribute("wholeName").map_err(|m| error(position, m))?,
                        ) && !name.trim().is_empty()
                        {
                            entity.names.push(name.trim().to_owned());
                        }
                    }
                    _ => {}
                }
            }
            Event::End(element) if element.local_name().as_ref() == "sanctionEntity" => {
                if let Some(entity) = entity.take() {
                    entity.add_to(&mut entries, &mut warnings);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    if entities == 0 {
        return Err(ImportError::NotTemplate {
            file: file.to_owned(),
            message: "no `sanctionEntity` element: not the EU consolidated sanctions list"
                .to_owned(),
        });
    }
    Ok(Import {
        json: data(options.table.as_deref().unwrap_or("eu_sanctions"), entries),
        warnings,
    })
}

/// One `sanctionEntity` being read.
struct Entity {
    id: Option<String>,
    reference: Option<String>,
    designated: Option<String>,
    kind: Option<String>,
    programmes: Vec<String>,
    names: Vec<String>,
    line: u64,
}

impl Entity {
    fn add_to(self, entries: &mut Map<String, Json>, warnings: &mut Vec<Warning>) {
        let line = u32::try_from(self.line).unwrap_or(u32::MAX);
        if self.names.is_empty() {
            warnings.push(Warning {
                sheet: None,
                row: Some(line),
                message: format!(
                    "sanction entity {} has no name: it is left out",
                    self.id.as_deref().unwrap_or("?")
                ),
            });
            return;
        }
        let mut entry = Map::new();
        for (field, value) in [
            ("id", &self.id),
            ("reference", &self.reference),
            ("type", &self.kind),
        ] {
            if let Some(value) = value {
                entry.insert(field.to_owned(), value.clone().into());
            }
        }
        if let Some(date) = self.designated.as_deref().and_then(|date| date.get(..10)) {
            entry.insert("designated".to_owned(), date.into());
        }
        entry.insert(
            "programmes".to_owned(),
            self.programmes
                .iter()
                .map(|p| Json::from(p.as_str()))
                .collect(),
        );
        for name in self.names {
            if entries.contains_key(&name) {
                warnings.push(Warning {
                    sheet: None,
                    row: Some(line),
                    message: format!("name `{name}` is listed again: the first entry is kept"),
                });
                continue;
            }
            entries.insert(name, Json::Object(entry.clone()));
        }
    }
}

/// An attribute's value, unescaped; `Err` with a message when it is malformed.
fn attribute(element: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    for attribute in element.attributes() {
        let attribute = attribute.map_err(|error| format!("malformed XML attribute: {error}"))?;
        if attribute.key.local_name().as_ref() == name {
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|error| format!("malformed XML attribute `{name}`: {error}"))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}
