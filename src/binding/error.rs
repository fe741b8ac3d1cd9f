//! `ProtocolError` as JS sees it: a code, a close code and a message.

use napi_derive::napi;

use crate::protocol::ProtocolError;

/// What `lib/errors.js` needs to build a `WebSocketError`.
#[napi(object)]
pub struct ErrorInfo {
    /// `WS_ERR_*`.
    pub code: String,
    /// The close code the connection is failed with.
    pub close_code: u32,
    /// A sentence naming the violation.
    pub message: String,
}

/// Describes the error a `Receiver` reported as (kind, detail) words.
#[napi]
#[must_use]
pub fn error_info(kind: u32, detail: u32) -> Option<ErrorInfo> {
    ProtocolError::from_parts(kind, detail).map(|e| ErrorInfo {
        code: e.code().to_owned(),
        close_code: u32::from(e.close_code()),
        message: e.to_string(),
    })
}
