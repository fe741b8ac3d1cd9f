//! Frame opcodes (RFC 6455 §5.2, §11.8).

/// The opcodes RFC 6455 defines; every other value is reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Opcode {
    /// %x0: a continuation frame.
    Continuation = 0x0,
    /// %x1: a text frame.
    Text = 0x1,
    /// %x2: a binary frame.
    Binary = 0x2,
    /// %x8: a connection close.
    Close = 0x8,
    /// %x9: a ping.
    Ping = 0x9,
    /// %xA: a pong.
    Pong = 0xA,
}

impl Opcode {
    /// "Control frames are identified by opcodes where the most significant bit
    /// of the opcode is 1" (RFC 6455 §5.5).
    #[must_use]
    pub fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }
}

impl TryFrom<u8> for Opcode {
    /// The reserved opcode that was seen.
    type Error = u8;

    fn try_from(value: u8) -> Result<Self, u8> {
        match value {
            0x0 => Ok(Self::Continuation),
            0x1 => Ok(Self::Text),
            0x2 => Ok(Self::Binary),
            0x8 => Ok(Self::Close),
            0x9 => Ok(Self::Ping),
            0xA => Ok(Self::Pong),
            other => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nibble_is_either_defined_or_reserved() {
        let defined: Vec<u8> = (0..16).filter(|&b| Opcode::try_from(b).is_ok()).collect();
        assert_eq!(defined, vec![0, 1, 2, 8, 9, 10]);
        for b in defined {
            assert_eq!(Opcode::try_from(b).unwrap() as u8, b);
        }
    }

    #[test]
    fn control_opcodes_have_the_high_bit() {
        assert!(Opcode::Close.is_control());
        assert!(Opcode::Ping.is_control());
        assert!(Opcode::Pong.is_control());
        assert!(!Opcode::Text.is_control());
        assert!(!Opcode::Binary.is_control());
        assert!(!Opcode::Continuation.is_control());
    }
}
