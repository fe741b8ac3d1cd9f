//! Incremental UTF-8 validation of text payloads (RFC 6455 §5.6, §8.1).
//!
//! Built on `simdutf8::compat`, which reports both where the valid prefix ends
//! and whether the input was merely cut short; that is what lets a code point
//! split across frames or reads be carried over instead of rejected.

use simdutf8::compat::from_utf8;

/// Text was not valid UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utf8Error;

/// Validates a text message fed in pieces. It keeps at most 3 bytes of a code
/// point split between pieces and fails on the piece holding the first byte
/// that can no longer start or continue valid UTF-8, not at the message's end
/// ("fail fast", the Autobahn 6.4.* cases).
#[derive(Clone, Debug, Default)]
pub struct Utf8Validator {
    partial: [u8; 4],
    partial_len: usize,
}

/// The length of the sequence a valid lead byte starts.
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

impl Utf8Validator {
    /// A validator at the start of a message.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates the next piece of the message.
    ///
    /// # Errors
    /// `Utf8Error` as soon as the bytes seen so far cannot be a prefix of
    /// valid UTF-8.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), Utf8Error> {
        if self.partial_len > 0 {
            let need = sequence_len(self.partial[0]) - self.partial_len;
            let take = need.min(input.len());
            let (head, rest) = input.split_at(take);
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(head);
            let filled = self.partial_len + take;
            match from_utf8(&self.partial[..filled]) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_none() => {
                    self.partial_len = filled;
                    return Ok(());
                }
                Err(_) => return Err(self.fail()),
            }
            input = rest;
        }
        match from_utf8(input) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                // A valid but unfinished code point ends the piece: keep it.
                let tail = &input[e.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len();
                Ok(())
            }
            Err(_) => Err(self.fail()),
        }
    }

    /// Ends the message and makes the validator ready for the next one.
    ///
    /// # Errors
    /// `Utf8Error` when the message ended inside a code point.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        if self.partial_len > 0 {
            return Err(self.fail());
        }
        Ok(())
    }

    fn fail(&mut self) -> Utf8Error {
        self.partial_len = 0;
        Utf8Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(bytes: &[u8]) -> bool {
        let mut v = Utf8Validator::new();
        v.feed(bytes).is_ok() && v.finish().is_ok()
    }

    const SAMPLES: &[&[u8]] = &[
        b"",
        b"Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!",
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
        b"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\xef\xbf\xbf",
        b"\xed\x9f\xbf\xee\x80\x80",
        // invalid: surrogate, overlong, above U+10FFFF, lone continuation, cut
        b"\xed\xa0\x80",
        b"\xc0\xaf",
        b"\xf4\x90\x80\x80",
        b"\x80",
        b"ab\xe2\x82",
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
        b"\xf8\x88\x80\x80\x80",
        b"\xfe\xff",
    ];

    #[test]
    fn agrees_with_std_on_whole_inputs() {
        for s in SAMPLES {
            assert_eq!(whole(s), std::str::from_utf8(s).is_ok(), "{s:x?}");
        }
    }

    #[test]
    fn agrees_with_std_at_every_split_and_byte_by_byte() {
        for s in SAMPLES {
            let expect = std::str::from_utf8(s).is_ok();
            for cut in 0..=s.len() {
                let mut v = Utf8Validator::new();
                let ok =
                    v.feed(&s[..cut]).is_ok() && v.feed(&s[cut..]).is_ok() && v.finish().is_ok();
                assert_eq!(ok, expect, "{s:x?} cut at {cut}");
            }
            let mut v = Utf8Validator::new();
            let ok = s.iter().all(|b| v.feed(&[*b]).is_ok()) && v.finish().is_ok();
            assert_eq!(ok, expect, "{s:x?} byte by byte");
        }
    }

    #[test]
    fn fails_on_the_piece_with_the_first_bad_byte() {
        // Autobahn 6.4.1: the bad sequence arrives in the second piece; the
        // validator must not wait for the third.
        let mut v = Utf8Validator::new();
        assert!(v
            .feed(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5")
            .is_ok());
        assert!(v.feed(b"\xf4\x90\x80\x80").is_err());
        // A sequence that can still become valid is not an error yet.
        let mut v = Utf8Validator::new();
        assert!(v.feed(b"\xf4").is_ok());
        assert!(v.feed(b"\x90").is_err(), "F4 90 is above U+10FFFF");
    }

    #[test]
    fn a_message_cut_inside_a_code_point_fails_at_finish() {
        let mut v = Utf8Validator::new();
        assert!(v.feed(b"ok\xe2\x82").is_ok());
        assert!(v.finish().is_err());
        // and the validator is clean for the next message
        assert!(v.feed(b"fine").is_ok());
        assert!(v.finish().is_ok());
    }
}
