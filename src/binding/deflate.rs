//! permessage-deflate for JS: negotiation (both roles) and the compressing
//! side of a connection. The inflating side lives in `Receiver`.

use std::cell::RefCell;

use napi::bindgen_prelude::{Buffer, BufferSlice, Either};
use napi::{Env, Error, Result};
use napi_derive::napi;

use super::{handed_over, role_of};
use crate::deflate::Deflater;
use crate::permessage_deflate::{self as pmd, Params, Refusal, ServerConfig};

/// What the application configured (`perMessageDeflate`), window bits as
/// given (`undefined`: no limit).
#[napi(object)]
pub struct DeflateOptions {
    pub server_no_context_takeover: Option<bool>,
    pub client_no_context_takeover: Option<bool>,
    pub server_max_window_bits: Option<u32>,
    pub client_max_window_bits: Option<u32>,
}

/// What the handshake agreed on: the header value as sent or received, and
/// its parameters with unlimited windows as 15.
#[napi(object)]
pub struct DeflateAgreement {
    pub header: String,
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    pub server_max_window_bits: u32,
    pub client_max_window_bits: u32,
}

fn bits(value: Option<u32>) -> u8 {
    value.map_or(15, |b| u8::try_from(b.clamp(8, 15)).unwrap_or(15))
}

fn agreement(params: Params) -> DeflateAgreement {
    DeflateAgreement {
        header: pmd::format(&params),
        server_no_context_takeover: params.server_no_context_takeover,
        client_no_context_takeover: params.client_no_context_takeover,
        server_max_window_bits: u32::from(params.server_max_window_bits.unwrap_or(15)),
        client_max_window_bits: u32::from(params.client_max_window_bits.flatten().unwrap_or(15)),
    }
}

fn refusal(r: Refusal) -> Error {
    Error::from_reason(match r {
        Refusal::Syntax => "Invalid Sec-WebSocket-Extensions header",
        Refusal::UnknownParameter => "Unknown permessage-deflate parameter",
        Refusal::DuplicateParameter => "Duplicate permessage-deflate parameter",
        Refusal::InvalidValue => "Invalid permessage-deflate parameter value",
        Refusal::NotOffered => "Server chose an extension that was not offered",
    })
}

/// The client's offer for `options`.
fn offer_params(options: &DeflateOptions) -> Params {
    Params {
        server_no_context_takeover: options.server_no_context_takeover.unwrap_or(false),
        client_no_context_takeover: options.client_no_context_takeover.unwrap_or(false),
        server_max_window_bits: options.server_max_window_bits.map(|b| bits(Some(b))),
        // Always offered: it lets the server limit our window.
        client_max_window_bits: Some(options.client_max_window_bits.map(|b| bits(Some(b)))),
    }
}

/// Server side: the response to a `Sec-WebSocket-Extensions` request header,
/// or `null` when no permessage-deflate offer in it is acceptable.
///
/// # Errors
/// When the header is malformed (the handshake is refused with 400).
#[napi]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands JS values over owned (allow: the macro rewrites this fn)"
)]
pub fn deflate_accept(header: String, options: DeflateOptions) -> Result<Option<DeflateAgreement>> {
    let config = ServerConfig {
        server_no_context_takeover: options.server_no_context_takeover.unwrap_or(false),
        client_no_context_takeover: options.client_no_context_takeover.unwrap_or(false),
        // zlib cannot compress with a window of 8.
        server_max_window_bits: bits(options.server_max_window_bits).max(9),
        client_max_window_bits: bits(options.client_max_window_bits),
    };
    pmd::accept(&header, &config)
        .map(|chosen| chosen.map(agreement))
        .map_err(refusal)
}

/// Client side: the `Sec-WebSocket-Extensions` value to offer.
#[napi]
#[must_use]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands JS values over owned (allow: the macro rewrites this fn)"
)]
pub fn deflate_offer(options: DeflateOptions) -> String {
    pmd::format(&offer_params(&options))
}

/// Client side: the server's response checked against our offer; `null`
/// when the server declined.
///
/// # Errors
/// Any reason RFC 7692 gives the client to fail the connection.
#[napi]
#[allow(
    clippy::needless_pass_by_value,
    reason = "napi hands JS values over owned (allow: the macro rewrites this fn)"
)]
pub fn deflate_check(
    response: String,
    options: DeflateOptions,
) -> Result<Option<DeflateAgreement>> {
    pmd::check_response(&response, &offer_params(&options))
        .map(|chosen| chosen.map(agreement))
        .map_err(refusal)
}

fn params_of(agreed: &DeflateAgreement) -> Params {
    let limit = |b: u32| u8::try_from(b).ok().filter(|&b| b < 15);
    Params {
        server_no_context_takeover: agreed.server_no_context_takeover,
        client_no_context_takeover: agreed.client_no_context_takeover,
        server_max_window_bits: limit(agreed.server_max_window_bits),
        client_max_window_bits: Some(limit(agreed.client_max_window_bits)),
    }
}

/// The window and context reset of what `mode` (0 server, 1 client)
/// receives under `agreed`.
pub(super) fn inflate_params(agreed: &DeflateAgreement, mode: u32) -> (u8, bool) {
    params_of(agreed).inflate_for(role_of(mode))
}

/// Compressors for messages sent without context takeover, one per
/// (window bits, level, memLevel) for the whole thread: each message starts from an
/// empty context, so sockets can share one instead of holding 256 KiB each.
type Shared = Vec<((u8, u32, u32), Deflater)>;

thread_local! {
    static SHARED: RefCell<Shared> = const { RefCell::new(Vec::new()) };
    // What `deflate_whole` compresses into before copying it out: one for
    // the thread, since a call uses it only until it returns.
    static WHOLE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `WHOLE` is let go when a message left it larger than this.
const KEEP_WHOLE: usize = 64 * 1024;

/// The compressing side of one connection.
#[napi]
pub struct Deflate {
    bits: u8,
    no_context_takeover: bool,
    level: u32,
    mem_level: u32,
    /// Made under context takeover (the context outlives a message), not
    /// before the first compressed message.
    own: Option<Deflater>,
}

#[napi]
impl Deflate {
    /// The compressor `mode` (0 server, 1 client) uses under `agreed`, at
    /// zlib `level` (0..=9) and `mem_level` (1..=9).
    #[napi(constructor)]
    #[must_use]
    #[allow(
        clippy::needless_pass_by_value,
        reason = "napi hands JS values over owned (allow: the macro rewrites this fn)"
    )]
    pub fn new(agreed: DeflateAgreement, mode: u32, level: u32, mem_level: u32) -> Self {
        let (bits, no_context_takeover) = params_of(&agreed).deflate_for(role_of(mode));
        Self {
            bits,
            no_context_takeover,
            level: level.min(9),
            mem_level: mem_level.clamp(1, 9),
            own: None,
        }
    }

    /// Whether this side may compress at all: a peer that limits our window
    /// to 8 bits gets uncompressed messages, since zlib writes 9 at least.
    #[napi(getter)]
    #[must_use]
    pub fn usable(&self) -> bool {
        self.bits >= 9
    }

    /// Our window bits when each message is compressed from an empty
    /// context (so one compressed message suits every socket with the same
    /// window, level and memLevel), else `null`.
    #[napi(getter)]
    #[must_use]
    pub fn shared_window_bits(&self) -> Option<u32> {
        self.no_context_takeover.then_some(u32::from(self.bits))
    }

    /// The payload of a compressed frame: `data` is a whole message
    /// (`fin`, and no fragment before it) or the next fragment of one.
    /// Without context takeover it is compressed alone (see
    /// `Deflater::deflate_alone`) by the thread's shared compressor, so the
    /// same payload suits every socket with the same window, level and memLevel.
    #[napi(catch_unwind)]
    #[allow(
        clippy::needless_pass_by_value,
        reason = "napi hands the Buffer over as an owned BufferSlice (allow: the macro rewrites this fn)"
    )]
    pub fn deflate<'env>(
        &mut self,
        env: &'env Env,
        data: BufferSlice,
        fin: bool,
    ) -> Result<Either<BufferSlice<'env>, Buffer>> {
        let mut out = Vec::new();
        self.compress(&data, fin, &mut out);
        handed_over(env, out)
    }

    /// `deflate` of a whole message for a caller that copies the payload
    /// before anything else compresses: written into `scratch` when it fits,
    /// and its length returned; else a Buffer of its own. (A Buffer made for
    /// each small message, with the finalizer that frees it, is what
    /// `Receiver::take` avoids too; see `COPY_MAX` there.)
    #[napi(catch_unwind)]
    #[allow(
        clippy::needless_pass_by_value,
        reason = "napi hands Buffers over as owned BufferSlices (allow: the macro rewrites this fn)"
    )]
    pub fn deflate_whole<'env>(
        &mut self,
        env: &'env Env,
        data: BufferSlice,
        mut scratch: BufferSlice,
    ) -> Result<Either<u32, Either<BufferSlice<'env>, Buffer>>> {
        WHOLE.with_borrow_mut(|out| {
            out.clear();
            self.compress(&data, true, out);
            let length = out.len();
            match (scratch.get_mut(..length), u32::try_from(length)) {
                (Some(into), Ok(n)) => {
                    into.copy_from_slice(out);
                    if out.capacity() > KEEP_WHOLE {
                        *out = Vec::new();
                    }
                    Ok(Either::A(n))
                }
                _ => handed_over(env, std::mem::take(out)).map(Either::B),
            }
        })
    }

    fn compress(&mut self, data: &[u8], fin: bool, out: &mut Vec<u8>) {
        if self.no_context_takeover {
            let key = (self.bits, self.level, self.mem_level);
            SHARED.with(|shared| {
                let mut shared = shared.borrow_mut();
                let index = shared
                    .iter()
                    .position(|(k, _)| *k == key)
                    .unwrap_or_else(|| {
                        shared.push((
                            key,
                            Deflater::new(self.bits, true, self.level, self.mem_level),
                        ));
                        shared.len() - 1
                    });
                shared[index].1.deflate_alone(data, fin, out);
            });
        } else {
            let (bits, level, mem_level) = (self.bits, self.level, self.mem_level);
            self.own
                .get_or_insert_with(|| Deflater::new(bits, false, level, mem_level))
                .deflate(data, fin, out);
        }
    }
}
