//! `example` blocks: their JSON, dates and expectations, checked against the policy's input,
//! rules, scores and values.

use crate::ast::{self, Item};
use crate::date::Date;
use crate::program as p;
use crate::span::Span;

use super::{Checker, codes};

impl<'a> Checker<'a> {
    pub(super) fn examples(&mut self, rules: &[p::RuleDef]) -> Vec<p::ExampleDef> {
        let file = self.file;
        file.items
            .iter()
            .filter_map(|item| match item {
                Item::Example(example) => Some(self.example(example, rules)),
                _ => None,
            })
            .collect()
    }

    fn example(&mut self, example: &ast::ExampleDecl, rules: &[p::RuleDef]) -> p::ExampleDef {
        let given = self.json(&example.given);
        let data = example.data.as_ref().map(|d| self.json(d));
        let as_of = example
            .as_of
            .and_then(|(date, _)| Date::from_ymd(date.year, date.month, date.day));
        if example.as_of.is_none() {
            self.warning(
                codes::EXAMPLE_WITHOUT_AS_OF,
                example.title.span,
                format!(
                    "example {:?} has no `as_of`: it depends on the day it runs",
                    example.title.value
                ),
                "give the date it is evaluated on, e.g. `as_of 2025-06-01` after `given` and `data`",
            );
        }
        let mut expectations = Vec::new();
        for expectation in &example.expectations {
            let kind = match &expectation.kind {
                ast::ExpectationKind::Decision(decision) => {
                    Some(p::ExpectKind::Decision(*decision))
                }
                ast::ExpectationKind::Rule(name, outcome) => self
                    .expected_rule(name, rules)
                    .map(|i| p::ExpectKind::Rule(i, *outcome)),
                ast::ExpectationKind::Message(name, text) => self
                    .expected_rule(name, rules)
                    .map(|i| p::ExpectKind::Message(i, text.value.clone())),
                ast::ExpectationKind::Evidence(name, json) => {
                    let index = self.expected_rule(name, rules);
                    let paths = self.expected_paths(json);
                    index
                        .zip(paths)
                        .map(|(i, paths)| p::ExpectKind::Evidence(i, paths))
                }
                ast::ExpectationKind::Missing(json) => {
                    self.expected_paths(json).map(|mut paths| {
                        paths.sort_unstable();
                        paths.dedup();
                        p::ExpectKind::Missing(paths)
                    })
                }
                ast::ExpectationKind::Score(name, json) => {
                    let index = self
                        .score_decls
                        .iter()
                        .position(|s| s.name.name == name.name);
                    if index.is_none() {
                        let scores = self.score_decls.iter().map(|s| s.name.name.as_str());
                        let suggestion = self.suggest(&name.name, scores);
                        self.unknown_name(name, "score", suggestion);
                    }
                    let value = self.json(json);
                    index.map(|i| p::ExpectKind::Score(i, value))
                }
                ast::ExpectationKind::Value(name, json) => {
                    let index = self.let_decls.iter().position(|l| l.name.name == name.name);
                    if index.is_none() {
                        if self.score_decls.iter().any(|s| s.name.name == name.name) {
                            self.error(
                                codes::SCORE_IN_VALUE_EXPECTATION,
                                name.span,
                                format!("`{}` is a score, not a `let` value", name.name),
                            )
                            .help = Some(format!("write `expect score {} = ...`", name.name));
                        } else {
                            let lets = self.let_decls.iter().map(|l| l.name.name.as_str());
                            let suggestion = self.suggest(&name.name, lets);
                            self.unknown_name(name, "`let` value", suggestion);
                        }
                    }
                    let value = self.json(json);
                    index.map(|i| p::ExpectKind::Value(i, value))
                }
            };
            if let Some(kind) = kind {
                expectations.push(p::ExpectDef {
                    line: self.line(expectation.span),
                    kind,
                });
            }
        }
        p::ExampleDef {
            title: example.title.value.clone(),
            line: self.line(example.span),
            given,
            data,
            as_of,
            expectations,
        }
    }

    /// The index of the rule an expectation names; an unknown name is an error.
    fn expected_rule(&mut self, name: &ast::Ident, rules: &[p::RuleDef]) -> Option<usize> {
        let index = rules.iter().position(|r| r.name == name.name);
        if index.is_none() {
            let suggestion = self.suggest(&name.name, rules.iter().map(|r| r.name.as_str()));
            self.unknown_name(name, "rule", suggestion);
        }
        index
    }

    /// The input paths of `expect evidence` or `expect missing`: a JSON list of texts.
    fn expected_paths(&mut self, json: &ast::JsonText) -> Option<Vec<String>> {
        let value = self.json(json);
        let paths = match &value {
            serde_json::Value::Array(items) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>(),
            _ => None,
        };
        // Invalid JSON has its error already.
        if paths.is_none() && !value.is_null() {
            self.error(
                codes::EXPECTED_PATHS_NOT_TEXTS,
                json.span,
                format!("expected a list of input paths, found `{value}`"),
            )
            .help = Some(
                "write the paths as JSON texts in brackets, e.g. `[\"supplier.smelters[1]\"]`"
                    .into(),
            );
        }
        paths
    }

    /// Parses embedded JSON (the grammar has made sure that `given` and `data` hold objects).
    fn json(&mut self, json: &ast::JsonText) -> serde_json::Value {
        match serde_json::from_str::<serde_json::Value>(&json.text) {
            Ok(value) => value,
            Err(error) => {
                let offset = byte_offset(&json.text, error.line(), error.column());
                let at = json.span.start as usize + offset;
                let message = error.to_string();
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_string();
                self.error(
                    codes::BAD_EXAMPLE_JSON,
                    Span::new(at, at + 1),
                    format!("invalid JSON: {message}"),
                );
                serde_json::Value::Null
            }
        }
    }
}

/// Byte offset of serde_json's 1-based line/column inside `text`.
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}
