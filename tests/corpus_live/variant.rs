//! The "changed file" of the third phase, made from the original the way an operator edits:
//! a VIP added to one instance, the last instance removed (and dropped from its sync group)
//! where there are several, the first `vrrp_script`'s interval raised by a second. Edits go
//! to the run's copy of whichever file (main or included) holds the lines, found through our
//! parser's spans; an edit that cannot be placed on whole lines is left out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use keepalived_rs::config::model::Config;
use keepalived_rs::config::span::{SourceMap, Span};
use keepalived_rs::config::{check_file, Checked};

use crate::timing::source_options;

enum Edit {
    InsertAfter(String),
    Delete,
    Replace(String),
}

/// Edits by file, each at a 1-based line.
#[derive(Default)]
struct Edits {
    by_file: BTreeMap<PathBuf, Vec<(u32, Edit)>>,
}

impl Edits {
    fn add(&mut self, sources: &SourceMap, span: Span, line: u32, edit: Edit) {
        let path = sources.file(span.file).path.clone();
        self.by_file.entry(path).or_default().push((line, edit));
    }

    fn apply(self) {
        for (path, mut edits) in self.by_file {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            // Bottom up, so that earlier line numbers stay valid.
            edits.sort_by_key(|(line, _)| std::cmp::Reverse(*line));
            for (line, edit) in edits {
                let i = line as usize - 1;
                match edit {
                    Edit::InsertAfter(t) => lines.insert(i + 1, t),
                    Edit::Delete => {
                        lines.remove(i);
                    }
                    Edit::Replace(t) => lines[i] = t,
                }
            }
            std::fs::write(&path, lines.join("\n") + "\n")
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

/// Rewrites the configuration rooted at `main` (the run's copy) in place; returns what was
/// changed, one phrase per edit.
pub fn write_changed(main: &Path) -> Vec<String> {
    let checked = check_file(main, &source_options(), None);
    let mut edits = Edits::default();
    let mut done = Vec::new();
    let removed = remove_last_instance(&checked, &mut edits, &mut done);
    add_vip(&checked, removed.as_deref(), &mut edits, &mut done);
    raise_script_interval(&checked, &mut edits, &mut done);
    edits.apply();
    done
}

fn line_text(sources: &SourceMap, span: Span, line: u32) -> String {
    sources
        .line_text(Span { line, ..span })
        .map(|t| t.trim().to_string())
        .unwrap_or_default()
}

/// A VIP of the instance's family added to the first instance with a `virtual_ipaddress`
/// block (other than `skip`), as the block's first line.
fn add_vip(checked: &Checked, skip: Option<&str>, edits: &mut Edits, done: &mut Vec<String>) {
    let src = &checked.sources;
    for inst in &checked.config.instances {
        if Some(inst.name.as_str()) == skip {
            continue;
        }
        let Some(kw) = checked
            .spans
            .instance_keyword(&inst.name, "virtual_ipaddress")
        else {
            continue;
        };
        let here = line_text(src, kw, kw.line);
        let brace_line = if here.contains('{') {
            kw.line
        } else if line_text(src, kw, kw.line + 1).starts_with('{') {
            kw.line + 1
        } else {
            continue;
        };
        if line_text(src, kw, brace_line).contains('}') {
            continue;
        }
        let v6 = inst
            .virtuals
            .virtual_ipaddress
            .first()
            .map_or(inst.family == keepalived_rs::vrrp::Family::Ipv6, |a| {
                a.addr.is_ipv6()
            });
        let vip = if v6 {
            "2001:db8:254::1/128"
        } else {
            "198.18.254.1/32"
        };
        edits.add(src, kw, brace_line, Edit::InsertAfter(format!("    {vip}")));
        done.push(format!("VIP {vip} added to {}", inst.name));
        return;
    }
}

/// The last instance's block deleted (when there are at least two), and its line in the
/// `group { }` of any sync group naming it. Returns the removed instance's name.
fn remove_last_instance(
    checked: &Checked,
    edits: &mut Edits,
    done: &mut Vec<String>,
) -> Option<String> {
    let cfg: &Config = &checked.config;
    if cfg.instances.len() < 2 {
        return None;
    }
    let name = &cfg.instances.last()?.name;
    let src = &checked.sources;
    let start = *checked.spans.instances.get(name)?;
    let end = checked.spans.instance_end(name)?;
    if end.file != start.file
        || !line_text(src, start, start.line).starts_with("vrrp_instance")
        || line_text(src, end, end.line) != "}"
    {
        return None;
    }
    for line in start.line..=end.line {
        edits.add(src, start, line, Edit::Delete);
    }
    for group in cfg.sync_groups.iter().filter(|g| g.group.contains(name)) {
        let Some(at) = checked.spans.sync_groups.get(&group.name) else {
            continue;
        };
        let member = (at.line..at.line + 64).find(|l| line_text(src, *at, *l) == *name);
        if let Some(line) = member {
            edits.add(src, *at, line, Edit::Delete);
        }
    }
    done.push(format!("instance {name} removed"));
    Some(name.clone())
}

/// The first `vrrp_script`'s `interval` one second longer (written if it was not).
fn raise_script_interval(checked: &Checked, edits: &mut Edits, done: &mut Vec<String>) {
    let src = &checked.sources;
    let Some(script) = checked.config.scripts.first() else {
        return;
    };
    let Some(end) = checked.spans.scripts.get(&script.name) else {
        return;
    };
    let new = script.interval.as_secs() + 1;
    let mut line = end.line;
    while line > 1 {
        line -= 1;
        let text = line_text(src, *end, line);
        if text.starts_with("vrrp_script") {
            break;
        }
        if text.split_whitespace().next() == Some("interval") {
            edits.add(
                src,
                *end,
                line,
                Edit::Replace(format!("    interval {new}")),
            );
            done.push(format!("vrrp_script {} interval {new}", script.name));
            return;
        }
    }
    if line_text(src, *end, end.line) == "}" {
        edits.add(
            src,
            *end,
            end.line - 1,
            Edit::InsertAfter(format!("    interval {new}")),
        );
        done.push(format!("vrrp_script {} interval {new}", script.name));
    }
}
