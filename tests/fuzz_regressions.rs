//! Every input the fuzzers (fuzz/, `npm run fuzz`) found a fault with,
//! replayed through the same oracles on every `cargo test`.

mod common;

use std::fs;
use std::path::Path;

fn replay(target: &str, oracle: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut count = 0;
    for entry in fs::read_dir(&dir).expect("the regressions directory") {
        let path = entry.expect("an entry").path();
        let data = fs::read(&path).expect("a regression input");
        let name = path.display().to_string();
        let caught = std::panic::catch_unwind(|| oracle(&data));
        assert!(caught.is_ok(), "{name} fails its oracle again");
        count += 1;
    }
    assert!(count > 0, "no regressions in {}", dir.display());
}

#[test]
fn decoder_regressions_hold() {
    replay("decoder", common::chunking_oracle);
}

#[test]
fn inflate_regressions_hold() {
    replay("inflate", common::inflate_oracle);
}
