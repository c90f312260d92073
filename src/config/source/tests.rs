//! Behaviour of the whole source layer, rule by rule (keepalived 2.2.7 `read_line`).

use super::*;
use std::fs;

fn opts() -> SourceOptions {
    SourceOptions {
        config_id: "vm".into(),
        instance_name: None,
        max_include_depth: 32,
        max_expansion_bytes: 1 << 20,
        random_seed: Some(1),
        all_config: false,
    }
}

fn load(text: &str) -> Preprocessed {
    load_str("k.conf", text, Path::new("/nonexistent-base"), &opts())
}

fn texts(p: &Preprocessed) -> Vec<&str> {
    p.lines.iter().map(|l| l.text.as_str()).collect()
}

fn msgs(p: &Preprocessed) -> Vec<(Severity, &str)> {
    p.diagnostics
        .iter()
        .map(|d| (d.severity, d.message.as_str()))
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn load_in(dir: &Path, main: &str) -> Preprocessed {
    load_file(&dir.join(main), &opts())
}

// ---- rule 1: lines ----------------------------------------------------------------------

#[test]
fn crlf_blanks_and_empty_lines() {
    let p = load("  global_defs {\r\n\r\n\t  router_id x \t\r\n\n}\r\n");
    assert_eq!(texts(&p), ["global_defs", "{", "router_id x", "}"]);
    assert_eq!(p.lines[2].line, 3);
    assert_eq!(p.lines[2].col(0), 4);
    assert!(p.diagnostics.is_empty());
}

#[test]
fn long_line_is_read_in_pieces_with_a_warning() {
    let long = format!("a {}", "b".repeat(1100));
    let p = load(&long);
    assert_eq!(p.lines.len(), 2);
    assert_eq!(p.lines[0].text.len(), 1023);
    assert_eq!(p.lines[1].col(0), 1024);
    assert_eq!(
        msgs(&p),
        [(
            Severity::Warning,
            "Line longer than 1023 bytes: keepalived reads it as 2 separate lines"
        )]
    );
    assert_eq!(p.diagnostics[0].span.unwrap().line, 1);
}

// ---- rule 2: comments -------------------------------------------------------------------

#[test]
fn comments_end_lines_and_escapes_reach_the_syntax_layer_plain() {
    let p = load("auth_pass a\\#b # c\nscript \"x # y\" ! z\n# only\n!only\n");
    assert_eq!(texts(&p), ["auth_pass a#b", "script \"x # y\""]);
    assert_eq!(
        p.lines[0].columns(),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14]
    );
}

#[test]
fn hash_and_bang_builtins_never_start_a_comment() {
    let p = load("auth_pass a${_HASH}b${_BANG}c # real comment\n");
    assert_eq!(texts(&p), ["auth_pass a#b!c"]);
    // Both produced characters map to their `$`.
    let cols = p.lines[0].columns();
    assert_eq!(cols[11], 12);
    assert_eq!(cols[12], 20);
    assert_eq!(cols[13], 21);
}

#[test]
fn unterminated_quote_is_an_error_with_keepalived_text_and_span() {
    let p = load("x\n  notify \"/bin/a.sh\n");
    // keepalived reads nothing of the line (so no notify script is configured).
    assert_eq!(texts(&p), ["x"]);
    assert_eq!(
        msgs(&p),
        [
            (Severity::Error, "Unterminated quote 'notify \"/bin/a.sh'"),
            (Severity::Error, "Unmatched quote: 'notify \"/bin/a.sh'"),
            (
                Severity::Error,
                "String 'notify \"/bin/a.sh': missing terminating \""
            )
        ]
    );
    let s = p.diagnostics[0].span.unwrap();
    assert_eq!((s.line, s.col, s.len), (2, 3, 17));
}

// ---- rule 3: include --------------------------------------------------------------------

#[test]
fn include_splices_files_in_place_relative_to_the_including_file() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "etc/main.conf", "a\ninclude sub/x.conf\nb\n");
    write(d.path(), "etc/sub/x.conf", "x1\ninclude y.conf\nx2\n");
    write(d.path(), "etc/sub/y.conf", "y1 # c\n");
    let p = load_in(d.path(), "etc/main.conf");
    assert_eq!(texts(&p), ["a", "x1", "y1", "x2", "b"]);
    let names: Vec<&str> = p
        .lines
        .iter()
        .map(|l| p.sources.file(l.file).display.as_str())
        .collect();
    assert_eq!(names[1], "sub/x.conf");
    assert_eq!(names[2], "y.conf");
    assert_eq!((p.lines[3].line, p.lines[4].line), (3, 3));
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn include_glob_is_sorted_and_braces_expand_in_order() {
    let d = tempfile::tempdir().unwrap();
    for n in ["b", "a", "c"] {
        write(d.path(), &format!("conf.d/{n}.conf"), &format!("{n}\n"));
    }
    write(
        d.path(),
        "k.conf",
        "include conf.d/*.conf\ninclude conf.d/{c,a}.conf\n",
    );
    let p = load_in(d.path(), "k.conf");
    assert_eq!(texts(&p), ["a", "b", "c", "c", "a"]);
}

#[test]
fn include_works_inside_a_block() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "prio.conf", "priority 100\n");
    write(
        d.path(),
        "k.conf",
        "vrrp_instance X {\n  include prio.conf\n}\n",
    );
    let p = load_in(d.path(), "k.conf");
    assert_eq!(texts(&p), ["vrrp_instance X", "{", "priority 100", "}"]);
}

#[test]
fn include_is_recognised_after_at_and_dollar_processing() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p.conf", "from_p\n");
    write(
        d.path(),
        "k.conf",
        "$F=p.conf\n@vm include $F\n@other include p.conf\ninclude ${_PWD}/p.conf\n",
    );
    let p = load_in(d.path(), "k.conf");
    assert_eq!(texts(&p), ["from_p", "from_p"]);
}

#[test]
fn missing_include_is_informational_with_keepalived_text_and_the_include_line() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "k.conf",
        "a\n  include conf.d/*.conf\ninclude role.conf\ninclude *.none\n",
    );
    let p = load_in(d.path(), "k.conf");
    assert_eq!(texts(&p), ["a"]);
    assert_eq!(
        msgs(&p),
        [
            (Severity::Info, "Config files missing 'conf.d/*.conf'."),
            (Severity::Info, "Config files missing 'role.conf'."),
        ]
    );
    let s = p.diagnostics[0].span.unwrap();
    assert_eq!((s.line, s.col, s.len), (2, 11, 13));
    assert_eq!(p.diagnostics[1].span.unwrap().line, 3);
}

#[test]
fn include_variants_turn_findings_into_errors() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.conf", "a\n");
    write(
        d.path(),
        "k.conf",
        "includem none.conf\nincludew *.none\ninclude *.none\nincludeb {a,z}.conf\ninclude {a,z}.conf\nincluder none.conf\n",
    );
    let p = load_in(d.path(), "k.conf");
    assert_eq!(
        msgs(&p),
        [
            (Severity::Fatal, "Config files missing 'none.conf'."),
            (Severity::Fatal, "No config files matched '*.none'."),
            (
                Severity::Fatal,
                "Some config files missing: \"{a,z}.conf\"."
            ),
            (Severity::Info, "Some config files missing: \"{a,z}.conf\"."),
            (Severity::Info, "Config files missing 'none.conf'."),
        ]
    );
    // includeb refuses the whole include; plain include reads what exists.
    assert_eq!(texts(&p), ["a"]);
}

#[test]
fn include_check_in_global_defs_applies_to_later_includes() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "k.conf",
        "include none1.conf\nglobal_defs {\n include_check match bogus\n}\ninclude none2.conf\n",
    );
    let p = load_in(d.path(), "k.conf");
    assert_eq!(
        msgs(&p),
        [
            (Severity::Info, "Config files missing 'none1.conf'."),
            (
                Severity::Error,
                "Duplicate include_check 'bogus' specified - ignoring"
            ),
            (Severity::Fatal, "Config files missing 'none2.conf'."),
        ]
    );
    // The keyword line is still passed on to the syntax layer.
    assert!(texts(&p).contains(&"include_check match bogus"));
}

#[test]
fn all_config_option_makes_every_include_strict() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "k.conf", "include *.none\n");
    let o = SourceOptions {
        all_config: true,
        ..opts()
    };
    let p = load_file(&d.path().join("k.conf"), &o);
    assert_eq!(
        msgs(&p),
        [(Severity::Fatal, "No config files matched '*.none'.")]
    );
}

#[test]
fn directories_and_executables_are_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "c/ok.conf", "ok\n");
    write(d.path(), "c/x.conf", "x\n");
    fs::set_permissions(d.path().join("c/x.conf"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::create_dir(d.path().join("c/d.conf")).unwrap();
    write(d.path(), "k.conf", "include c/*.conf\n");
    let p = load_in(d.path(), "k.conf");
    assert_eq!(texts(&p), ["ok"]);
    assert_eq!(
        msgs(&p),
        [
            (
                Severity::Info,
                "Configuration file 'c/d.conf/' is a directory - skipping"
            ),
            (
                Severity::Info,
                "Configuration file 'c/x.conf' is not a regular non-executable file - skipping"
            ),
        ]
    );
}

#[test]
fn include_cycle_is_an_error_naming_the_chain() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "k.conf", "k1\ninclude a.conf\nk2\n");
    write(d.path(), "a.conf", "a1\ninclude b.conf\n");
    write(
        d.path(),
        "b.conf",
        "b1\ninclude ${_PWD}/k.conf\ninclude b.conf\n",
    );
    let p = load_in(d.path(), "k.conf");
    assert_eq!(texts(&p), ["k1", "a1", "b1", "k2"]);
    let main = d.path().join("k.conf").display().to_string();
    assert_eq!(
        p.diagnostics[0].message,
        format!(
            "Include cycle: {main} -> a.conf -> b.conf -> {} - not reading '{}' again",
            fs::canonicalize(d.path()).unwrap().join("k.conf").display(),
            fs::canonicalize(d.path()).unwrap().join("k.conf").display()
        )
    );
    assert_eq!(
        p.diagnostics[1].message,
        "Include cycle: b.conf -> b.conf - not reading 'b.conf' again"
    );
    assert_eq!(p.diagnostics[1].span.unwrap().line, 3);
}

#[test]
fn include_depth_is_bounded() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..10 {
        write(
            d.path(),
            &format!("f{i}.conf"),
            &format!("l{i}\ninclude f{}.conf\n", i + 1),
        );
    }
    write(d.path(), "f10.conf", "end\n");
    let o = SourceOptions {
        max_include_depth: 3,
        ..opts()
    };
    let p = load_file(&d.path().join("f0.conf"), &o);
    assert_eq!(texts(&p), ["l0", "l1", "l2", "l3"]);
    assert_eq!(
        msgs(&p),
        [(
            Severity::Error,
            "Includes nested more than 3 deep - not reading 'f4.conf'"
        )]
    );
}

#[test]
fn missing_main_file_is_fatal_with_keepalived_text() {
    let p = load_file(Path::new("/nonexistent/keepalived.conf"), &opts());
    assert!(p.lines.is_empty());
    assert_eq!(
        msgs(&p),
        [(
            Severity::Fatal,
            "Config files missing '/nonexistent/keepalived.conf'."
        )]
    );
    assert_eq!(p.diagnostics[0].span, None);
}

#[test]
fn main_path_is_a_glob_like_keepalived_f() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.conf", "a\n");
    write(d.path(), "b.conf", "b\n");
    let p = load_file(&d.path().join("*.conf"), &opts());
    assert_eq!(texts(&p), ["a", "b"]);
    assert_eq!(p.diagnostics.len(), 1);
    assert!(p.diagnostics[0]
        .message
        .starts_with("WARNING, multiple configuration file matches of "));
}

// ---- rule 4: @ conditionals -------------------------------------------------------------

#[test]
fn at_lines_are_kept_only_for_the_config_id() {
    let p = load("@vm a\n@other b\n@^other c\n@^vm d\n@vm\n@vm   $X=1\nx $X\n@  e\n@^ f\n");
    assert_eq!(texts(&p), ["a", "c", "x 1", "f"]);
    assert_eq!(p.lines[0].columns(), [5]);
}

// ---- rule 5: $ definitions --------------------------------------------------------------

#[test]
fn definitions_substitute_and_map_to_the_dollar_column() {
    let p = load("$IF=eth0\n  interface $IF # c\nx ${IF}.10 $IF, $NOPE\n");
    assert_eq!(texts(&p), ["interface eth0", "x eth0.10 eth0, $NOPE"]);
    assert_eq!(
        p.lines[0].columns(),
        [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13, 13, 13]
    );
    assert!(p.diagnostics.is_empty());
}

#[test]
fn multiline_definition_is_used_as_a_block_of_lines() {
    let p = load(
        "$VIPS=\\\n   10.0.0.1 \\\n   10.0.0.2   \\\n\n   # gap\nvirtual_ipaddress {\n  $VIPS\n}\nx $VIPS y\n",
    );
    assert_eq!(
        texts(&p),
        [
            "virtual_ipaddress",
            "{",
            "10.0.0.1",
            "10.0.0.2",
            "}",
            "x $VIPS y"
        ]
    );
    assert_eq!((p.lines[3].line, p.lines[3].col(0)), (7, 3));
}

#[test]
fn a_comment_line_does_not_end_a_multiline_definition_but_a_blank_line_does() {
    let p = load("$M=a \\\n# note\nb\nuse $M\n");
    assert_eq!(texts(&p), ["use a", "b"]);
    let p = load("$M=a \\\n\nb\nuse $M\n");
    assert_eq!(texts(&p), ["b", "use a"]);
}

#[test]
fn recursive_definition_is_an_error_not_a_hang() {
    let p = load("$A=x $B\n$B=$A\nval $A\n");
    assert_eq!(texts(&p), ["val x $A"]);
    assert_eq!(
        msgs(&p),
        [(
            Severity::Error,
            "Definition '$A' refers to itself (A -> B -> A) - left unexpanded"
        )]
    );
    let p = load("$M=\\\na \\\n$M\n\n$M\n");
    assert!(p
        .diagnostics
        .iter()
        .any(|d| d.message.contains("refers to itself")));
}

#[test]
fn builtin_definitions() {
    let d = tempfile::tempdir().unwrap();
    let canon = fs::canonicalize(d.path()).unwrap();
    let p = load_str(
        "k.conf",
        "s ${_PWD}/x.sh\ni ${_INSTANCE}\nr ${_RANDOM 10 12}\n",
        d.path(),
        &opts(),
    );
    assert_eq!(p.lines[0].text, format!("s {}/x.sh", canon.display()));
    assert_eq!(p.lines[1].text, "i vm");
    let r: u32 = p.lines[2].text[2..].parse().unwrap();
    assert!((10..=12).contains(&r));
    let o = SourceOptions {
        instance_name: Some("inst".into()),
        ..opts()
    };
    assert_eq!(
        load_str("k", "i ${_INSTANCE}", d.path(), &o).lines[0].text,
        "i inst"
    );
}

#[test]
fn random_is_deterministic_with_a_seed() {
    let a = load("${_RANDOM}\n${_RANDOM}\n");
    let b = load("${_RANDOM}\n${_RANDOM}\n");
    assert_eq!(texts(&a), texts(&b));
}

#[test]
fn substitution_producing_a_definition_or_at_line_is_rechecked() {
    let p = load("$D=$X=5\n$D\nv $X\n$C=@other\n$C hidden\n");
    assert_eq!(texts(&p), ["v 5"]);
}

// ---- rule 6: ~SEQ / ~LST ----------------------------------------------------------------

#[test]
fn seq_repeats_the_rest_of_the_line() {
    let p = load("~SEQ(i, 1, 2, 5) vip 10.0.0.${i}/32 # c\nafter $i\n");
    assert_eq!(
        texts(&p),
        [
            "vip 10.0.0.1/32",
            "vip 10.0.0.3/32",
            "vip 10.0.0.5/32",
            "after 5"
        ]
    );
    // The repeated text keeps its columns; the value maps to the `$`.
    assert_eq!(p.lines[0].col(0), 18);
    assert_eq!(p.lines[0].col(11), 29);
    assert!(p.lines.iter().take(3).all(|l| l.line == 1));
}

#[test]
fn seqx_lst_and_nesting() {
    let p = load(
        "~SEQx(n, 9, 11) ip ::$n\n~LST({a,b},{1,2},{3}) v ${a}-$b\n~SEQ(i,2) ~SEQ(j,2) p $i$j\n",
    );
    assert_eq!(
        texts(&p),
        ["ip ::9", "ip ::a", "ip ::b", "v 1-2", "v 3-", "p $i1", "p $i2", "p $i1", "p $i2"]
    );
    // `$i$j` is not a reference to i (only a blank, `,`, `)` or the end may follow a bare
    // name), but ${i}${j} is.
    let p = load("~SEQ(i,2) ~SEQ(j,2) p ${i}${j}\n");
    assert_eq!(texts(&p), ["p 11", "p 12", "p 21", "p 22"]);
}

#[test]
fn seq_parameters_may_be_definitions() {
    let p = load("$N=3\n~SEQ(i, $N) x ${i}\n");
    assert_eq!(texts(&p), ["x 1", "x 2", "x 3"]);
}

#[test]
fn bad_seq_gets_both_keepalived_errors() {
    let p = load("~SEQ(i, 1, 0, 3) x\n");
    assert!(p.lines.is_empty());
    assert_eq!(
        msgs(&p),
        [
            (Severity::Error, "Invalid ~SEQ values '~SEQ(i, 1, 0, 3) x'"),
            (
                Severity::Error,
                "Invalid ~SEQ specification '~SEQ(i, 1, 0, 3) x'"
            ),
        ]
    );
    let p = load("~LST(a b) x\n");
    assert_eq!(
        msgs(&p),
        [(Severity::Error, "Invalid ~LST specification '~LST(a b) x'")]
    );
}

#[test]
fn seq_bomb_is_stopped_with_a_clear_error() {
    let o = SourceOptions {
        max_expansion_bytes: 10_000,
        ..opts()
    };
    let p = load_str(
        "k",
        "~SEQ(i, 1000000000000) x $i\nafter\n",
        Path::new("/"),
        &o,
    );
    assert_eq!(texts(&p), ["after"]);
    assert_eq!(
        msgs(&p),
        [(
            Severity::Error,
            "Expansion stopped: $ definitions and ~SEQ/~LST produced more than 10000 bytes"
        )]
    );
    // Nested repetitions are charged as they go.
    let p = load_str(
        "k",
        "~SEQ(i, 50) ~SEQ(j, 50) ~SEQ(k, 50) x\nafter\n",
        Path::new("/"),
        &o,
    );
    assert!(p.lines.len() < 10_000 / 2);
    assert_eq!(p.lines.last().unwrap().text, "after");
    assert_eq!(p.diagnostics.len(), 1);
}

#[test]
fn seq_of_includes_pushes_them_all_before_reading_like_keepalived() {
    let d = tempfile::tempdir().unwrap();
    for i in 1..=3 {
        write(d.path(), &format!("f{i}.conf"), &format!("from {i}\n"));
    }
    write(d.path(), "k.conf", "~SEQ(i,3) include f${i}.conf\n");
    let p = load_in(d.path(), "k.conf");
    assert_eq!(texts(&p), ["from 3", "from 2", "from 1"]);
}

// ---- braces -----------------------------------------------------------------------------

#[test]
fn text_after_a_brace_is_processed_again() {
    let p = load("vrrp_instance X { @vm priority 90\n} @other priority 80\na { $V=1\nb $V }\n");
    assert_eq!(
        texts(&p),
        [
            "vrrp_instance X",
            "{",
            "priority 90",
            "}",
            "a",
            "{",
            "b 1",
            "}"
        ]
    );
    assert_eq!(p.lines[2].col(0), 23);
}
