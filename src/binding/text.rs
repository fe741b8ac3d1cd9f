//! Text payloads to JS strings through `crate::text` rather than Node's
//! `Buffer#toString`, which costs 3-4 times more for non-ASCII text. (The
//! other way, a string's UTF-16 read out and framed as UTF-8, is
//! `sender::text_frame`, which borrows the same scratch: `with_units`.
//! Echoes and relays skip it altogether: see `lib/text.js`.)
//!
//! Large strings are external: V8 puts every string past 128 KiB in its own
//! freshly mapped pages, and faulting those in cost more than the
//! transcoding (1 MiB of mixed text: 1.9 ms as a heap string). An external
//! string points at memory the allocator hands out again, and its size is
//! reported to V8 (as Node does for its own external strings), so the
//! collector frees them as it would heap strings.

use std::cell::RefCell;
use std::ffi::{c_char, c_void};
use std::ptr;
use std::sync::OnceLock;

use napi::bindgen_prelude::{BufferSlice, FromNapiValue};
use napi::{sys, Env, JsString, Result};
use napi_derive::napi;

use crate::text::{utf16_of_at_least, utf8_to_utf16};

/// Scratch kept between calls above this many code units is released.
const KEEP_UNITS: usize = 1 << 20;

/// Strings of this many bytes and more are external: V8 would make them
/// large objects (`kMaxRegularHeapObjectSize`, 128 KiB, less the header).
/// Smaller ones are cheap on the heap, and die young with the garbage a
/// scavenge frees, where an external string waits for its finalizer.
const EXTERNAL_MIN: usize = 128 * 1024 - 32;

thread_local! {
    // One UTF-16 scratch buffer for all sockets: strings are built (or read
    // out) one at a time.
    static UNITS: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with the shared UTF-16 scratch, which is released afterwards
/// when it grew past `KEEP_UNITS`.
pub(super) fn with_units<R>(f: impl FnOnce(&mut Vec<u16>) -> R) -> R {
    UNITS.with_borrow_mut(|units| {
        let result = f(units);
        if units.capacity() > KEEP_UNITS {
            *units = Vec::new();
        }
        result
    })
}

/// `node_api_create_external_string_latin1` or `_utf16` (`node_api.h`).
#[cfg(unix)]
type CreateExternal<T> = unsafe extern "C" fn(
    sys::napi_env,
    *mut T,
    isize,
    sys::napi_finalize,
    *mut c_void,
    *mut sys::napi_value,
    *mut bool,
) -> sys::napi_status;

/// Node's calls for external strings, which came with Node 18.18 and 20.4.
/// Looked up at run time: the addon is linked with `BIND_NOW`, so naming them
/// would keep it from loading on an older Node.
#[cfg(unix)]
struct ExternalCalls {
    latin1: CreateExternal<c_char>,
    utf16: CreateExternal<u16>,
}

#[cfg(unix)]
static EXTERNAL: OnceLock<Option<ExternalCalls>> = OnceLock::new();

#[cfg(unix)]
extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}

/// dlsym's handle for "the process and what it loaded" (dlfcn.h).
#[cfg(all(
    unix,
    any(target_os = "macos", target_os = "ios", target_os = "freebsd")
))]
const RTLD_DEFAULT: *mut c_void = ptr::without_provenance_mut(usize::MAX - 1);
#[cfg(all(
    unix,
    not(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))
))]
const RTLD_DEFAULT: *mut c_void = ptr::null_mut();

/// Node's external-string calls, if this Node has them.
#[cfg(unix)]
fn external_calls() -> Option<&'static ExternalCalls> {
    EXTERNAL
        .get_or_init(|| {
            // SAFETY: dlsym takes the default handle and NUL-terminated
            // names; a symbol found under these names is Node's function
            // with the signature of `CreateExternal` (node_api.h), so the
            // transmutes give function pointers of the right type.
            unsafe {
                let latin1 = dlsym(
                    RTLD_DEFAULT,
                    c"node_api_create_external_string_latin1".as_ptr(),
                );
                let utf16 = dlsym(
                    RTLD_DEFAULT,
                    c"node_api_create_external_string_utf16".as_ptr(),
                );
                if latin1.is_null() || utf16.is_null() {
                    return None;
                }
                Some(ExternalCalls {
                    latin1: std::mem::transmute::<*mut c_void, CreateExternal<c_char>>(latin1),
                    utf16: std::mem::transmute::<*mut c_void, CreateExternal<u16>>(utf16),
                })
            }
        })
        .as_ref()
}

/// Whether large strings are made external here (this Node has the calls).
#[napi]
#[must_use]
pub fn external_strings() -> bool {
    #[cfg(unix)]
    return external_calls().is_some();
    #[cfg(not(unix))]
    false
}

/// The string `data` (UTF-8) holds: a one-byte string when it is ASCII,
/// else a two-byte one. The bytes come from JavaScript, so they are
/// validated here (simdutf8, a small part of the conversion's cost); invalid
/// ones, never seen for a payload the decoder passed, still make a string
/// (with U+FFFD) rather than a panic.
#[napi(catch_unwind)]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands the Buffer over as an owned BufferSlice (allow: the macro rewrites this fn)"
)]
pub fn utf8_to_string<'env>(env: &'env Env, data: BufferSlice) -> Result<JsString<'env>> {
    match simdutf8::basic::from_utf8(&data) {
        Ok(text) => string_of(env, text),
        Err(_) => env.create_string(String::from_utf8_lossy(&data)),
    }
}

/// The JS string of `text`, already in Rust (the receiver's whole text
/// messages, validated as they arrived, come here without another pass).
pub(super) fn string_of<'env>(env: &'env Env, text: &str) -> Result<JsString<'env>> {
    let bytes = text.as_bytes();
    // A string takes a byte per character when ASCII, else two per UTF-16
    // unit, and a UTF-8 byte makes at most one unit: under half of
    // EXTERNAL_MIN in UTF-8, it cannot be that large.
    let ascii = bytes.is_ascii();
    #[cfg(unix)]
    if bytes.len() >= EXTERNAL_MIN / 2 {
        if let Some(calls) = external_calls() {
            let chars = if ascii {
                (bytes.len() >= EXTERNAL_MIN).then(|| Chars::Latin1(bytes.to_vec()))
            } else {
                utf16_of_at_least(text, EXTERNAL_MIN / 2).map(Chars::Utf16)
            };
            if let Some(chars) = chars {
                return external_string(env, calls, chars);
            }
        }
    }
    if ascii {
        return env.create_string_latin1(bytes);
    }
    with_units(|units| {
        utf8_to_utf16(text, units);
        env.create_string_utf16(units.as_slice())
    })
}

/// An external string's characters, owned until V8 finalizes the string.
enum Chars {
    Latin1(Vec<u8>),
    Utf16(Vec<u16>),
}

impl Chars {
    /// Bytes held, as reported to V8.
    fn bytes(&self) -> i64 {
        let bytes = match self {
            Chars::Latin1(chars) => chars.len(),
            Chars::Utf16(units) => units.len() * 2,
        };
        i64::try_from(bytes).unwrap_or(i64::MAX)
    }
}

#[cfg(unix)]
fn external_string<'env>(
    env: &'env Env,
    calls: &ExternalCalls,
    chars: Chars,
) -> Result<JsString<'env>> {
    let bytes = chars.bytes();
    let raw = env.raw();
    let mut value = ptr::null_mut();
    // Not read: either way `finalize` frees the characters.
    let mut copied = false;
    // Reported before V8 may call `finalize` (at once, if it copies).
    // SAFETY: a plain call on the live env; undone by `finalize`, or below.
    unsafe { sys::napi_adjust_external_memory(raw, bytes, &mut 0) };
    let hint = Box::into_raw(Box::new(chars));
    // SAFETY: the pointer and length describe the Vec inside `hint`, which
    // lives until `finalize` runs (V8 calls it once, when the string dies,
    // or before returning if it copied); on failure V8 takes nothing and
    // the Box is dropped below. Lengths come from Vecs, so fit an isize.
    let status = unsafe {
        match &mut *hint {
            Chars::Latin1(chars) => (calls.latin1)(
                raw,
                chars.as_mut_ptr().cast(),
                chars.len().cast_signed(),
                Some(finalize),
                hint.cast(),
                ptr::from_mut(&mut value),
                ptr::from_mut(&mut copied),
            ),
            Chars::Utf16(units) => (calls.utf16)(
                raw,
                units.as_mut_ptr(),
                units.len().cast_signed(),
                Some(finalize),
                hint.cast(),
                ptr::from_mut(&mut value),
                ptr::from_mut(&mut copied),
            ),
        }
    };
    if status != sys::Status::napi_ok {
        // SAFETY: V8 took no ownership of `hint` on failure.
        drop(unsafe { Box::from_raw(hint) });
        // SAFETY: as above.
        unsafe { sys::napi_adjust_external_memory(raw, -bytes, &mut 0) };
        return Err(napi::Error::from_status(napi::Status::from(status)));
    }
    // SAFETY: `value` is the string just made in this env.
    unsafe { JsString::from_napi_value(raw, value) }
}

/// Frees an external string's characters and un-reports them (when the
/// string dies, or at once if V8 copied them).
#[cfg(unix)]
unsafe extern "C" fn finalize(env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the Box made in `external_string`, given to V8 once.
    let chars = unsafe { Box::from_raw(hint.cast::<Chars>()) };
    // SAFETY: as Node's own external strings do in their destructor, which
    // also runs while V8 collects.
    unsafe { sys::napi_adjust_external_memory(env, -chars.bytes(), &mut 0) };
}
