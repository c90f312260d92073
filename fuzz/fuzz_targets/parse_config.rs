//! The whole configuration reader (source layer, syntax, lowering, completion, dump) on
//! arbitrary text: it must never panic or loop, whatever it is given.
#![no_main]

use keepalived_rs::config::dump_config as dump;
use keepalived_rs::config::source::{load_str, SourceOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let dir = std::env::temp_dir();
    let opts = SourceOptions {
        random_seed: Some(1),
        ..SourceOptions::default()
    };
    let checked = keepalived_rs::config::check(load_str("fuzz.conf", &text, &dir, &opts), None);
    let _ = dump(&checked.config);
});
