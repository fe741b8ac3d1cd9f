//! One test per MUST of RFC 6455 that the decoder enforces, named as the rule.

mod common;

use common::{client, feed_all, masked, server, server_with, unmasked, Seen, KEY};
use websockets::protocol::{Opcode, ProtocolError, DEFAULT_STREAM_THRESHOLD};

fn last(seen: &[Seen]) -> Option<&Seen> {
    seen.last()
}

fn fails(seen: &[Seen], error: ProtocolError) {
    assert_eq!(last(seen), Some(&Seen::Error(error)), "{seen:?}");
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn a_server_closes_1002_on_an_unmasked_frame() {
    let seen = feed_all(&mut server(), &unmasked(Opcode::Text, true, b"Hello"));
    fails(&seen, ProtocolError::ExpectedMask);
    assert_eq!(ProtocolError::ExpectedMask.close_code(), 1002);
}

#[test]
fn a_client_closes_1002_on_a_masked_frame() {
    let seen = feed_all(&mut client(), &masked(Opcode::Text, true, b"Hello"));
    fails(&seen, ProtocolError::UnexpectedMask);
}

#[test]
fn a_client_accepts_unmasked_frames() {
    let seen = feed_all(&mut client(), &hex("810548656c6c6f"));
    assert_eq!(seen, vec![Seen::Message(Opcode::Text, b"Hello".to_vec())]);
}

#[test]
fn rsv_bits_without_an_extension_close_1002() {
    for (byte0, error) in [
        (0xc1, ProtocolError::UnexpectedRsv1),
        (0xa1, ProtocolError::UnexpectedRsv23),
        (0x91, ProtocolError::UnexpectedRsv23),
    ] {
        let mut frame = masked(Opcode::Text, true, b"x");
        frame[0] = byte0;
        fails(&feed_all(&mut server(), &frame), error);
    }
}

#[test]
fn reserved_opcodes_close_1002() {
    for op in [3u8, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
        let mut frame = masked(Opcode::Text, true, b"");
        frame[0] = 0x80 | op;
        fails(
            &feed_all(&mut server(), &frame),
            ProtocolError::ReservedOpcode(op),
        );
    }
}

#[test]
fn control_frame_over_125_bytes_closes_1002() {
    // A ping announcing 126 bytes (16-bit form): refused at the header.
    let seen = feed_all(&mut server(), &hex("89fe007e37fa213d"));
    fails(&seen, ProtocolError::ControlFrameTooLong);
}

#[test]
fn fragmented_control_frame_closes_1002() {
    let mut frame = masked(Opcode::Ping, true, b"x");
    frame[0] &= 0x7f;
    fails(
        &feed_all(&mut server(), &frame),
        ProtocolError::FragmentedControlFrame,
    );
}

#[test]
fn a_64_bit_length_with_the_top_bit_set_closes_1002() {
    let seen = feed_all(&mut server(), &hex("82ff800000000000000037fa213d"));
    fails(&seen, ProtocolError::InvalidPayloadLength);
}

#[test]
fn a_frame_over_max_payload_closes_1009_before_its_payload_arrives() {
    let mut d = server_with(DEFAULT_STREAM_THRESHOLD, 1000);
    // Only the header of a 1001-byte frame: the decoder must not wait for it.
    let mut header = hex("82fe03e9");
    header.extend(KEY);
    let seen = feed_all(&mut d, &header);
    fails(&seen, ProtocolError::MessageTooBig);
    assert_eq!(ProtocolError::MessageTooBig.close_code(), 1009);
}

#[test]
fn fragments_adding_up_over_max_payload_close_1009() {
    let mut d = server_with(DEFAULT_STREAM_THRESHOLD, 10);
    let mut input = masked(Opcode::Binary, false, &[0; 6]);
    input.extend(masked(Opcode::Continuation, true, &[0; 5]));
    fails(&feed_all(&mut d, &input), ProtocolError::MessageTooBig);
}

#[test]
fn a_continuation_without_a_message_closes_1002() {
    let seen = feed_all(&mut server(), &masked(Opcode::Continuation, true, b"x"));
    fails(&seen, ProtocolError::UnexpectedContinuation);
}

#[test]
fn a_new_data_frame_inside_a_fragmented_message_closes_1002() {
    let mut input = masked(Opcode::Text, false, b"a");
    input.extend(masked(Opcode::Text, true, b"b"));
    fails(
        &feed_all(&mut server(), &input),
        ProtocolError::ExpectedContinuation,
    );
}

#[test]
fn invalid_utf8_in_a_text_message_closes_1007() {
    let seen = feed_all(&mut server(), &masked(Opcode::Text, true, b"\xc0\xaf"));
    fails(&seen, ProtocolError::InvalidUtf8);
    assert_eq!(ProtocolError::InvalidUtf8.close_code(), 1007);
}

#[test]
fn a_code_point_split_across_fragments_is_valid() {
    let mut input = masked(Opcode::Text, false, b"\xe2\x82");
    input.extend(masked(Opcode::Continuation, true, b"\xac"));
    let seen = feed_all(&mut server(), &input);
    assert_eq!(
        seen,
        vec![
            Seen::StreamStart(Opcode::Text),
            Seen::StreamData("€".as_bytes().to_vec()),
            Seen::StreamStop
        ]
    );
}

#[test]
fn a_text_message_ending_inside_a_code_point_closes_1007() {
    let mut input = masked(Opcode::Text, false, b"ok");
    input.extend(masked(Opcode::Continuation, true, b"\xe2\x82"));
    fails(&feed_all(&mut server(), &input), ProtocolError::InvalidUtf8);
}

#[test]
fn binary_messages_are_not_utf8_checked() {
    let seen = feed_all(&mut server(), &masked(Opcode::Binary, true, b"\xff\xfe"));
    assert_eq!(
        seen,
        vec![Seen::Message(Opcode::Binary, b"\xff\xfe".to_vec())]
    );
}

#[test]
fn a_close_body_of_one_byte_closes_1002() {
    let seen = feed_all(&mut server(), &masked(Opcode::Close, true, b"\x03"));
    fails(&seen, ProtocolError::InvalidClosePayload);
}

#[test]
fn a_close_code_that_may_not_be_received_closes_1002() {
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        let seen = feed_all(
            &mut server(),
            &masked(Opcode::Close, true, &code.to_be_bytes()),
        );
        fails(&seen, ProtocolError::InvalidCloseCode(code));
    }
}

#[test]
fn a_close_reason_that_is_not_utf8_closes_1007() {
    let seen = feed_all(&mut server(), &masked(Opcode::Close, true, b"\x03\xe8\xff"));
    fails(&seen, ProtocolError::InvalidUtf8);
}

#[test]
fn control_frames_may_be_injected_between_fragments() {
    let mut input = masked(Opcode::Binary, false, b"a");
    input.extend(masked(Opcode::Ping, true, b"1"));
    input.extend(masked(Opcode::Pong, true, b"2"));
    input.extend(masked(Opcode::Continuation, true, b"b"));
    let seen = feed_all(&mut server(), &input);
    assert_eq!(
        seen,
        vec![
            Seen::StreamStart(Opcode::Binary),
            Seen::StreamData(b"a".to_vec()),
            Seen::Ping(b"1".to_vec()),
            Seen::Pong(b"2".to_vec()),
            Seen::StreamData(b"b".to_vec()),
            Seen::StreamStop
        ]
    );
}

#[test]
fn nothing_after_a_close_frame_is_processed() {
    let mut input = masked(Opcode::Close, true, b"\x03\xe8");
    input.extend(unmasked(Opcode::Text, true, b"would be an error"));
    let seen = feed_all(&mut server(), &input);
    assert_eq!(seen, vec![Seen::Close(1000, vec![])]);
}
