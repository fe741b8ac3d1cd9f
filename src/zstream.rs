//! A raw-DEFLATE compressor on zlib's own API: flate2's `Compress` fixes
//! zlib's `memLevel` at 8, and `perMessageDeflate.memLevel` (as in ws, whose
//! zlib takes it) needs the other eight. The zlib is Cloudflare's where it
//! builds (see `Cargo.toml`), else stock zlib: the same API and stream.

use std::ffi::c_void;

use backend::{hook, z};

#[cfg(all(
    target_pointer_width = "64",
    target_endian = "little",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod backend {
    pub use cloudflare_zlib_sys as z;

    /// An allocator hook as this binding's `z_stream` holds it.
    #[allow(
        clippy::unnecessary_wraps,
        reason = "this binding's z_stream holds its hooks as Options"
    )]
    pub const fn hook<F>(f: F) -> Option<F> {
        Some(f)
    }
}

#[cfg(not(all(
    target_pointer_width = "64",
    target_endian = "little",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod backend {
    pub use libz_sys as z;

    /// An allocator hook as this binding's `z_stream` holds it.
    pub const fn hook<F>(f: F) -> F {
        f
    }
}

unsafe extern "C" {
    fn malloc(size: usize) -> *mut c_void;
    fn free(ptr: *mut c_void);
}

/// zlib's allocator hook: what zlib itself calls without one (`zcalloc`).
unsafe extern "C" fn zalloc(_opaque: *mut c_void, items: z::uInt, size: z::uInt) -> *mut c_void {
    match (items as usize).checked_mul(size as usize) {
        // SAFETY: malloc accepts any size and returns null when it cannot
        // serve it, which zlib reports as Z_MEM_ERROR.
        Some(bytes) => unsafe { malloc(bytes) },
        None => std::ptr::null_mut(),
    }
}

/// zlib's release hook, for blocks `zalloc` made.
unsafe extern "C" fn zfree(_opaque: *mut c_void, block: *mut c_void) {
    // SAFETY: zlib frees only what it allocated through `zalloc` (malloc),
    // once each.
    unsafe { free(block) }
}

/// What `deflateInit2` is told a `z_stream` measures, to check the build's
/// struct against the zlib linked in.
#[allow(clippy::cast_possible_wrap, reason = "a z_stream is about 112 bytes")]
const STREAM_SIZE: i32 = std::mem::size_of::<z::z_stream>() as i32;

/// One zlib deflate stream writing raw DEFLATE (no zlib header).
pub struct ZDeflate {
    /// Boxed: zlib keeps the stream's address in its state and refuses a
    /// stream that moved (`deflateStateCheck`).
    stream: Box<z::z_stream>,
}

impl std::fmt::Debug for ZDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZDeflate").finish_non_exhaustive()
    }
}

impl ZDeflate {
    /// `level` 0..=9, `window_bits` 9..=15, `mem_level` 1..=9 (clamped
    /// there: zlib refuses anything else).
    #[must_use]
    pub fn new(level: u32, window_bits: u8, mem_level: u32) -> Self {
        let mut stream = Box::new(z::z_stream {
            next_in: std::ptr::null_mut(),
            avail_in: 0,
            total_in: 0,
            next_out: std::ptr::null_mut(),
            avail_out: 0,
            total_out: 0,
            msg: std::ptr::null_mut(),
            state: std::ptr::null_mut(),
            zalloc: hook(zalloc),
            zfree: hook(zfree),
            opaque: std::ptr::null_mut(),
            data_type: 0,
            adler: 0,
            reserved: 0,
        });
        // SAFETY: `stream` is a fresh z_stream with allocator hooks and no
        // state; the version and size are those of the zlib linked in. The
        // parameters are clamped to what deflateInit2 accepts, so its only
        // failure left is Z_MEM_ERROR.
        let status = unsafe {
            z::deflateInit2_(
                &raw mut *stream,
                level.min(9).cast_signed(),
                z::Z_DEFLATED,
                -i32::from(window_bits.clamp(9, 15)),
                mem_level.clamp(1, 9).cast_signed(),
                z::Z_DEFAULT_STRATEGY,
                z::zlibVersion(),
                STREAM_SIZE,
            )
        };
        if status != z::Z_OK {
            // As a Vec that cannot get its memory does.
            std::alloc::handle_alloc_error(std::alloc::Layout::new::<[u8; 256 * 1024]>());
        }
        Self { stream }
    }

    /// Compresses all of `input` and sync-flushes it (so it ends with the
    /// empty stored block `00 00 ff ff`), appending to `out`; `room` is how
    /// much to reserve when `out` runs out.
    pub fn compress_sync(&mut self, input: &[u8], out: &mut Vec<u8>, room: usize) {
        let stream = &mut *self.stream;
        stream.next_in = input.as_ptr().cast_mut();
        // Input longer than a uInt is fed in pieces.
        let mut rest = input.len();
        loop {
            let piece = rest.min(z::uInt::MAX as usize);
            stream.avail_in = piece as z::uInt;
            rest -= piece;
            loop {
                if out.capacity() - out.len() < 64 {
                    out.reserve(room.max(64));
                }
                let spare = out.spare_capacity_mut();
                let offered = spare.len().min(z::uInt::MAX as usize);
                stream.next_out = spare.as_mut_ptr().cast();
                stream.avail_out = offered as z::uInt;
                let flush = if rest == 0 {
                    z::Z_SYNC_FLUSH
                } else {
                    z::Z_NO_FLUSH
                };
                // SAFETY: the stream was initialised by deflateInit2 and has
                // not moved (boxed); next_in/avail_in cover the rest of
                // `input`, next_out/avail_out the spare capacity of `out`,
                // both valid for the call. zlib writes only within avail_out.
                let status = unsafe { z::deflate(stream, flush) };
                let written = offered - stream.avail_out as usize;
                // SAFETY: deflate initialised `written` bytes of the spare
                // capacity (next_out advanced by that much).
                unsafe { out.set_len(out.len() + written) };
                // Z_BUF_ERROR: nothing left to do (no input, flush done);
                // Z_STREAM_ERROR cannot come from a stream made here.
                if status != z::Z_OK {
                    break;
                }
                // Done with this piece when zlib left output room: all of
                // its input is in and, for the last, the flush is complete.
                if stream.avail_out != 0 {
                    break;
                }
            }
            if rest == 0 {
                break;
            }
        }
        stream.next_in = std::ptr::null_mut();
        stream.avail_in = 0;
        stream.next_out = std::ptr::null_mut();
        stream.avail_out = 0;
    }

    /// Forgets the context: what comes next refers to nothing before it.
    pub fn reset(&mut self) {
        // SAFETY: an initialised stream that has not moved.
        unsafe {
            z::deflateReset(&raw mut *self.stream);
        }
    }
}

impl Drop for ZDeflate {
    fn drop(&mut self) {
        // SAFETY: an initialised stream, ended once, here.
        unsafe {
            z::deflateEnd(&raw mut *self.stream);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

    /// JSON-like text that compresses as messages do, with enough distinct
    /// symbols that a small memLevel's short blocks show.
    fn json(n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0u64;
        while out.len() < n {
            out.extend_from_slice(
                format!(
                    "{{\"id\":{i},\"name\":\"user{}\",\"score\":{}}},",
                    i * 7919 % 1000,
                    i * i % 977
                )
                .as_bytes(),
            );
            i += 1;
        }
        out.truncate(n);
        out
    }

    fn inflate(data: &[u8], expected: usize) -> Vec<u8> {
        let mut inflater = Decompress::new_with_window_bits(false, 15);
        let mut out = Vec::with_capacity(expected + 64);
        inflater
            .decompress_vec(data, &mut out, FlushDecompress::Sync)
            .expect("valid DEFLATE");
        out
    }

    /// Level 6 at memLevel 8 (ws's defaults) inflates back, ends with the
    /// sync flush's empty block, and is no larger than flate2's (zlib-rs)
    /// at the same level: a level or window not passed on would show here.
    /// (Sizes against Node's zlib: `__test__/compression.test.js`.)
    #[test]
    fn at_the_defaults_it_compresses_as_well_as_flate2() {
        let input = json(100_000);
        let mut ours = Vec::new();
        ZDeflate::new(6, 15, 8).compress_sync(&input, &mut ours, 1024);
        assert_eq!(inflate(&ours, input.len()), input);
        assert!(ours.ends_with(&[0, 0, 0xff, 0xff]));
        let mut theirs = Vec::with_capacity(input.len());
        Compress::new_with_window_bits(Compression::new(6), false, 15)
            .compress_vec(&input, &mut theirs, FlushCompress::Sync)
            .expect("room enough");
        assert!(
            ours.len() <= theirs.len(),
            "{} {}",
            ours.len(),
            theirs.len()
        );
        let mut fast = Vec::new();
        ZDeflate::new(1, 15, 8).compress_sync(&input, &mut fast, 1024);
        assert!(fast.len() > ours.len(), "{} {}", fast.len(), ours.len());
    }

    #[test]
    fn mem_level_takes_effect_and_every_level_inflates_back() {
        let input = json(20_000);
        let outputs: Vec<Vec<u8>> = (1..=9)
            .map(|mem_level| {
                let mut out = Vec::new();
                // A small `room` makes the output grow many times.
                ZDeflate::new(6, 15, mem_level).compress_sync(&input, &mut out, 16);
                assert_eq!(inflate(&out, input.len()), input, "memLevel {mem_level}");
                out
            })
            .collect();
        // memLevel 1 closes a block every 128 symbols: more block headers.
        assert!(
            outputs[0].len() > outputs[7].len() + 100,
            "{} {}",
            outputs[0].len(),
            outputs[7].len()
        );
    }

    #[test]
    fn reset_forgets_the_context() {
        let input = json(4000);
        let mut deflate = ZDeflate::new(6, 15, 8);
        let mut first = Vec::new();
        deflate.compress_sync(&input, &mut first, 1024);
        let mut kept = Vec::new();
        deflate.compress_sync(&input, &mut kept, 1024);
        assert!(
            kept.len() < first.len() / 4,
            "the repeat refers to the first"
        );
        deflate.reset();
        let mut again = Vec::new();
        deflate.compress_sync(&input, &mut again, 1024);
        assert_eq!(again, first);
    }

    #[test]
    fn empty_input_is_the_empty_block() {
        let mut out = Vec::new();
        ZDeflate::new(6, 15, 8).compress_sync(&[], &mut out, 0);
        assert_eq!(inflate(&out, 0), b"");
        assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    }
}
