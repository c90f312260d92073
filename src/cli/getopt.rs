//! Stage 1: words → raw option items, with GNU `getopt_long` semantics.
//!
//! keepalived parses its command line with `getopt_long(":...")`, and init scripts, unit files
//! and wrappers written for it rely on the details: options and operands may be mixed
//! (operands are permuted to the end), `--` ends the options, short options bundle (`-lnD`),
//! a required value may be attached or the next word (`-fFILE`, `-f FILE`, `--use-file=FILE`,
//! `--use-file FILE`), an optional value must be attached (`-gFILE`, `--log-file=FILE`),
//! and long names may be abbreviated to any unambiguous prefix. A general-purpose parser
//! (clap) differs on several of these, so this small lexer reproduces them exactly.

use super::spec::{self, ArgKind, OptId};

/// One thing found on the command line, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RawItem {
    /// A recognised option with its value, if any.
    Opt { id: OptId, value: Option<String> },
    /// An unknown option (or a value given to an option that takes none); keepalived's
    /// message text for it.
    Unknown(String),
    /// A required value is missing; keepalived's message text for it.
    MissingValue(String),
    /// A word that is not an option.
    Operand(String),
}

/// Splits `args` (without the program name) into raw items.
pub(crate) fn lex(args: &[String]) -> Vec<RawItem> {
    let mut items = Vec::new();
    let mut operands = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if word == "--" {
            operands.extend(words.by_ref().cloned());
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            items.push(lex_long(word, long, &mut words));
        } else if word.len() > 1 && word.starts_with('-') {
            lex_short_cluster(&word[1..], &mut words, &mut items);
        } else {
            operands.push(word.clone());
        }
    }
    items.extend(operands.into_iter().map(RawItem::Operand));
    items
}

fn lex_long<'a>(word: &str, body: &str, rest: &mut impl Iterator<Item = &'a String>) -> RawItem {
    let (name, attached) = match body.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (body, None),
    };
    let Some(spec) = spec::by_long(name) else {
        return RawItem::Unknown(format!("Unknown option {word}"));
    };
    let missing = || RawItem::MissingValue(format!("Missing parameter for option --{}", spec.long));
    let value = match (spec.arg, attached) {
        (ArgKind::None, Some(_)) => return RawItem::Unknown(format!("Unknown option {word}")),
        (ArgKind::None, None) => None,
        (ArgKind::Optional, value) => value.filter(|v| !v.is_empty()).map(str::to_owned),
        // keepalived treats `--use-file=` (an empty value) as a missing one.
        (ArgKind::Required, Some("")) => return missing(),
        (ArgKind::Required, Some(value)) => Some(value.to_owned()),
        (ArgKind::Required, None) => match rest.next() {
            Some(next) if !next.is_empty() => Some(next.clone()),
            _ => return missing(),
        },
    };
    RawItem::Opt { id: spec.id, value }
}

fn lex_short_cluster<'a>(
    cluster: &str,
    rest: &mut impl Iterator<Item = &'a String>,
    items: &mut Vec<RawItem>,
) {
    for (at, letter) in cluster.char_indices() {
        let Some(spec) = spec::by_short(letter) else {
            items.push(RawItem::Unknown(format!("Unknown option -{letter}")));
            continue;
        };
        let attached = &cluster[at + letter.len_utf8()..];
        match spec.arg {
            ArgKind::None => items.push(RawItem::Opt {
                id: spec.id,
                value: None,
            }),
            ArgKind::Optional => {
                let value = (!attached.is_empty()).then(|| attached.to_owned());
                items.push(RawItem::Opt { id: spec.id, value });
                return;
            }
            ArgKind::Required => {
                let value = if attached.is_empty() {
                    rest.next().filter(|v| !v.is_empty()).cloned()
                } else {
                    Some(attached.to_owned())
                };
                items.push(match value {
                    Some(value) => RawItem::Opt {
                        id: spec.id,
                        value: Some(value),
                    },
                    None => {
                        RawItem::MissingValue(format!("Missing parameter for option -{letter}"))
                    }
                });
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OptId::*;

    fn lex_words(words: &[&str]) -> Vec<RawItem> {
        lex(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    fn opt(id: OptId, value: Option<&str>) -> RawItem {
        RawItem::Opt {
            id,
            value: value.map(str::to_owned),
        }
    }

    #[test]
    fn bundled_short_options() {
        assert_eq!(
            lex_words(&["-lnD"]),
            vec![
                opt(LogConsole, None),
                opt(DontFork, None),
                opt(LogDetail, None)
            ]
        );
    }

    #[test]
    fn required_values_attached_or_next_word() {
        assert_eq!(lex_words(&["-fa.conf"]), vec![opt(UseFile, Some("a.conf"))]);
        assert_eq!(
            lex_words(&["-f", "a.conf"]),
            vec![opt(UseFile, Some("a.conf"))]
        );
        assert_eq!(
            lex_words(&["-nf", "a.conf"]),
            vec![opt(DontFork, None), opt(UseFile, Some("a.conf"))]
        );
        assert_eq!(
            lex_words(&["--use-file=a.conf"]),
            vec![opt(UseFile, Some("a.conf"))]
        );
        assert_eq!(
            lex_words(&["--use-file", "a.conf"]),
            vec![opt(UseFile, Some("a.conf"))]
        );
        // getopt takes the next word even when it looks like an option.
        assert_eq!(lex_words(&["-f", "-n"]), vec![opt(UseFile, Some("-n"))]);
    }

    #[test]
    fn optional_values_only_attached() {
        assert_eq!(lex_words(&["-t"]), vec![opt(ConfigTest, None)]);
        assert_eq!(lex_words(&["-tlog"]), vec![opt(ConfigTest, Some("log"))]);
        assert_eq!(
            lex_words(&["--config-test=log"]),
            vec![opt(ConfigTest, Some("log"))]
        );
        assert_eq!(lex_words(&["--log-file="]), vec![opt(LogFile, None)]);
        assert_eq!(
            lex_words(&["-t", "log"]),
            vec![opt(ConfigTest, None), RawItem::Operand("log".into())]
        );
    }

    #[test]
    fn missing_values_use_keepalived_texts() {
        assert_eq!(
            lex_words(&["-f"]),
            vec![RawItem::MissingValue(
                "Missing parameter for option -f".into()
            )]
        );
        assert_eq!(
            lex_words(&["--use-file="]),
            vec![RawItem::MissingValue(
                "Missing parameter for option --use-file".into()
            )]
        );
        assert_eq!(
            lex_words(&["--signum"]),
            vec![RawItem::MissingValue(
                "Missing parameter for option --signum".into()
            )]
        );
    }

    #[test]
    fn unknown_options_use_keepalived_texts() {
        assert_eq!(
            lex_words(&["--bogus"]),
            vec![RawItem::Unknown("Unknown option --bogus".into())]
        );
        assert_eq!(
            lex_words(&["--vrrp=x"]),
            vec![RawItem::Unknown("Unknown option --vrrp=x".into())]
        );
        assert_eq!(
            lex_words(&["-lZn"]),
            vec![
                opt(LogConsole, None),
                RawItem::Unknown("Unknown option -Z".into()),
                opt(DontFork, None)
            ]
        );
    }

    #[test]
    fn operands_are_permuted_to_the_end_and_double_dash_ends_options() {
        assert_eq!(
            lex_words(&["x", "-n", "--", "-l", "-"]),
            vec![
                opt(DontFork, None),
                RawItem::Operand("x".into()),
                RawItem::Operand("-l".into()),
                RawItem::Operand("-".into())
            ]
        );
    }

    #[test]
    fn abbreviated_long_names() {
        assert_eq!(lex_words(&["--sig=DATA"]), vec![opt(Signum, Some("DATA"))]);
        assert_eq!(
            lex_words(&["--al"]),
            vec![RawItem::Unknown("Unknown option --al".into())]
        );
    }

    #[test]
    fn arbitrary_words_never_panic() {
        for w in ["-", "--", "---", "--=", "-é", "--é=ü", "-fé", "=", "-\u{0}"] {
            let _ = lex_words(&[w, w]);
        }
    }
}
