//! Build script: links the napi addon when the `node` feature is on.
fn main() {
    #[cfg(feature = "node")]
    napi_build::setup();
}
