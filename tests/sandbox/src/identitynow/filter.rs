//! SailPoint's `filters` query parameter: `name eq "X" and source.id in ("a","b")`.
//!
//! The sandbox supports conjunctions (`and`) of `eq`, `in`, `sw` and `co` on string fields;
//! that is everything the connector sends. Anything else (`or`, `not`, parentheses around
//! terms, an operator a field does not allow) is a 400, as it is in IdentityNow for fields
//! and operators an endpoint does not support.

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    In,
    Sw,
    Co,
}

/// One `field op value` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    pub(crate) field: String,
    pub(crate) op: Op,
    pub(crate) values: Vec<String>,
}

/// Why a filter was refused; the text becomes the 400 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FilterError {
    /// The expression does not parse.
    #[error("Invalid filter expression: {0}")]
    Syntax(String),
    /// The field/operator pair is not supported by this endpoint.
    #[error("Unsupported filter: {0} {1}")]
    Unsupported(String, String),
}

/// A parsed filter: all terms must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filter(Vec<Term>);

impl Filter {
    /// Parse `text`, allowing only the (field, operators) pairs in `allowed`.
    pub(crate) fn parse(
        text: Option<&str>,
        allowed: &[(&str, &[Op])],
    ) -> Result<Filter, FilterError> {
        let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
            return Ok(Filter::default());
        };
        let mut lexer = Lexer { rest: text };
        let mut terms = Vec::new();
        loop {
            let field = lexer
                .word()
                .ok_or_else(|| FilterError::Syntax(text.to_string()))?;
            let op_word = lexer
                .word()
                .ok_or_else(|| FilterError::Syntax(text.to_string()))?;
            let op = match op_word.to_ascii_lowercase().as_str() {
                "eq" => Op::Eq,
                "in" => Op::In,
                "sw" => Op::Sw,
                "co" => Op::Co,
                _ => return Err(FilterError::Unsupported(field, op_word)),
            };
            let permitted = allowed
                .iter()
                .any(|(name, ops)| *name == field && ops.contains(&op));
            if !permitted {
                return Err(FilterError::Unsupported(field, op_word));
            }
            let values = if op == Op::In {
                lexer.list()
            } else {
                lexer.string().map(|v| vec![v])
            };
            let values = values.ok_or_else(|| FilterError::Syntax(text.to_string()))?;
            terms.push(Term { field, op, values });

            match lexer.word() {
                None => break,
                Some(word) if word.eq_ignore_ascii_case("and") => continue,
                Some(_) => return Err(FilterError::Syntax(text.to_string())),
            }
        }
        Ok(Filter(terms))
    }

    /// Whether a record matches, given how to read a field of it. Comparisons ignore case.
    pub(crate) fn matches(&self, field: impl Fn(&str) -> Option<String>) -> bool {
        self.0.iter().all(|term| {
            let Some(actual) = field(&term.field).map(|v| v.to_lowercase()) else {
                return false;
            };
            term.values.iter().any(|wanted| {
                let wanted = wanted.to_lowercase();
                match term.op {
                    Op::Eq | Op::In => actual == wanted,
                    Op::Sw => actual.starts_with(&wanted),
                    Op::Co => actual.contains(&wanted),
                }
            })
        })
    }
}

struct Lexer<'a> {
    rest: &'a str,
}

impl Lexer<'_> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    /// A bare word: letters, digits, `.`, `_`, `-`.
    fn word(&mut self) -> Option<String> {
        self.skip_space();
        let end = self
            .rest
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-')))
            .unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(word.to_string())
    }

    /// A double-quoted string with `\"` and `\\` escapes.
    fn string(&mut self) -> Option<String> {
        self.skip_space();
        let mut chars = self.rest.strip_prefix('"')?.char_indices();
        let mut value = String::new();
        while let Some((index, c)) = chars.next() {
            match c {
                '\\' => value.push(chars.next()?.1),
                '"' => {
                    self.rest = &self.rest[index + 2..];
                    return Some(value);
                }
                _ => value.push(c),
            }
        }
        None
    }

    /// `("a", "b")`.
    fn list(&mut self) -> Option<Vec<String>> {
        self.skip_space();
        self.rest = self.rest.strip_prefix('(')?;
        let mut values = vec![self.string()?];
        loop {
            self.skip_space();
            if let Some(rest) = self.rest.strip_prefix(')') {
                self.rest = rest;
                return Some(values);
            }
            self.rest = self.rest.strip_prefix(',')?;
            values.push(self.string()?);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED: &[(&str, &[Op])] = &[
        ("name", &[Op::Eq, Op::Sw]),
        ("source.id", &[Op::Eq, Op::In]),
    ];

    #[test]
    fn parses_conjunctions_and_lists() {
        let filter = Filter::parse(
            Some(r#"name eq "Sales \"X\"" and source.id in ("a", "b")"#),
            ALLOWED,
        )
        .unwrap();
        assert!(filter.matches(|f| Some(if f == "name" { "sales \"x\"" } else { "b" }.to_string())));
        assert!(
            !filter.matches(|f| Some(if f == "name" { "Sales \"X\"" } else { "c" }.to_string()))
        );
    }

    #[test]
    fn refuses_unknown_fields_and_bad_syntax() {
        assert!(matches!(
            Filter::parse(Some(r#"owner.id eq "a""#), ALLOWED),
            Err(FilterError::Unsupported(..))
        ));
        assert!(matches!(
            Filter::parse(Some(r#"name eq "a"#), ALLOWED),
            Err(FilterError::Syntax(_))
        ));
        assert!(matches!(
            Filter::parse(Some(r#"name eq "a" or name eq "b""#), ALLOWED),
            Err(FilterError::Syntax(_))
        ));
    }
}
