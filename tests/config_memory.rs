//! `-t` streams its input: on a 10 MB file, our peak memory is at most stock keepalived
//! 2.2.7's on the same file (before streaming it was 5.5× keepalived's: the whole text
//! and a line index stayed in memory for the whole check). The 50 MB figures are in
//! benches/config_memory.rs.

mod memory_support;

use memory_support::*;

#[test]
fn checking_a_large_file_peaks_no_higher_than_keepalived() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.conf");
    write_commented_file(&file, 10 << 20);
    let ours = env!("CARGO_BIN_EXE_keepalived");
    let (ours_kib, ours_code) = peak_kib_of_check(ours, &file);
    let stock = stock_keepalived();
    assert!(
        std::path::Path::new(&stock).exists(),
        "{stock} is needed (Debian package keepalived)"
    );
    let (stock_kib, stock_code) = peak_kib_of_check(&stock, &file);
    println!("-t on 10 MiB: ours {ours_kib} KiB, keepalived {stock_kib} KiB");
    // The file's instance uses `lo`, which both refuse (exit 5) after reading it all.
    assert_eq!(
        ours_code, stock_code,
        "our -t verdict differs from keepalived's"
    );
    assert!(
        ours_kib <= stock_kib,
        "ours peaked at {ours_kib} KiB, keepalived at {stock_kib} KiB"
    );
}
