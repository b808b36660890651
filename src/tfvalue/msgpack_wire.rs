//! The MessagePack primitives the value codec needs: a token reader over a byte slice and
//! compact writers.
//!
//! Hand-rolled rather than built on `rmp` so the reader can never panic or over-allocate on
//! hostile input (every length is checked against the bytes actually present) and the writer
//! is infallible and picks exactly the encodings cty picks.

/// One MessagePack item header (containers report only their length).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    F32(f32),
    F64(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext(i8, &'a [u8]),
}

impl Token<'_> {
    /// What the token is, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Token::Nil => "msgpack nil",
            Token::Bool(_) => "a msgpack bool",
            Token::Int(_) | Token::Uint(_) => "a msgpack integer",
            Token::F32(_) | Token::F64(_) => "a msgpack float",
            Token::Str(_) => "a msgpack string",
            Token::Bin(_) => "msgpack binary",
            Token::Array(_) => "a msgpack array",
            Token::Map(_) => "a msgpack map",
            Token::Ext(..) => "a msgpack extension",
        }
    }
}

/// Reads tokens from a byte slice.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        if n > self.remaining() {
            return Err("unexpected end of data");
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], &'static str> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn length(&mut self, width: usize) -> Result<usize, &'static str> {
        Ok(match width {
            1 => self.be::<1>()?[0] as usize,
            2 => u16::from_be_bytes(self.be()?) as usize,
            _ => u32::from_be_bytes(self.be()?) as usize,
        })
    }

    /// A container length is only plausible if each element could take at least one byte.
    fn container(&mut self, len: usize, per_element: usize) -> Result<usize, &'static str> {
        if len.saturating_mul(per_element) > self.remaining() {
            return Err("container length exceeds the data");
        }
        Ok(len)
    }

    fn ext(&mut self, len: usize) -> Result<Token<'a>, &'static str> {
        let code = self.be::<1>()?[0] as i8;
        Ok(Token::Ext(code, self.take(len)?))
    }

    /// Reads the next token.
    pub(crate) fn next(&mut self) -> Result<Token<'a>, &'static str> {
        let marker = self.be::<1>()?[0];
        Ok(match marker {
            0x00..=0x7f => Token::Uint(marker as u64),
            0x80..=0x8f => Token::Map(self.container((marker & 0x0f) as usize, 2)?),
            0x90..=0x9f => Token::Array(self.container((marker & 0x0f) as usize, 1)?),
            0xa0..=0xbf => Token::Str(self.take((marker & 0x1f) as usize)?),
            0xc0 => Token::Nil,
            0xc1 => return Err("reserved marker 0xc1"),
            0xc2 => Token::Bool(false),
            0xc3 => Token::Bool(true),
            0xc4..=0xc6 => {
                let len = self.length(1 << (marker - 0xc4))?;
                Token::Bin(self.take(len)?)
            }
            0xc7..=0xc9 => {
                let len = self.length(1 << (marker - 0xc7))?;
                self.ext(len)?
            }
            0xca => Token::F32(f32::from_be_bytes(self.be()?)),
            0xcb => Token::F64(f64::from_be_bytes(self.be()?)),
            0xcc => Token::Uint(self.be::<1>()?[0] as u64),
            0xcd => Token::Uint(u16::from_be_bytes(self.be()?) as u64),
            0xce => Token::Uint(u32::from_be_bytes(self.be()?) as u64),
            0xcf => Token::Uint(u64::from_be_bytes(self.be()?)),
            0xd0 => Token::Int(self.be::<1>()?[0] as i8 as i64),
            0xd1 => Token::Int(i16::from_be_bytes(self.be()?) as i64),
            0xd2 => Token::Int(i32::from_be_bytes(self.be()?) as i64),
            0xd3 => Token::Int(i64::from_be_bytes(self.be()?)),
            0xd4..=0xd8 => self.ext(1 << (marker - 0xd4))?,
            0xd9..=0xdb => {
                let len = self.length(1 << (marker - 0xd9))?;
                Token::Str(self.take(len)?)
            }
            0xdc | 0xdd => {
                let len = self.length(if marker == 0xdc { 2 } else { 4 })?;
                Token::Array(self.container(len, 1)?)
            }
            0xde | 0xdf => {
                let len = self.length(if marker == 0xde { 2 } else { 4 })?;
                Token::Map(self.container(len, 2)?)
            }
            0xe0..=0xff => Token::Int(marker as i8 as i64),
        })
    }
}

/// The bytes cty writes for a wholly unknown value: fixext1, extension type 0, one zero byte.
pub(crate) const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

pub(crate) fn write_nil(out: &mut Vec<u8>) {
    out.push(0xc0);
}

pub(crate) fn write_bool(out: &mut Vec<u8>, value: bool) {
    out.push(if value { 0xc3 } else { 0xc2 });
}

/// The most compact integer encoding: unsigned forms for non-negative values, signed ones
/// for negative values (what cty's encoder emits).
pub(crate) fn write_int(out: &mut Vec<u8>, value: i64) {
    if value >= 0 {
        let value = value as u64;
        match value {
            0..=0x7f => out.push(value as u8),
            0x80..=0xff => out.extend_from_slice(&[0xcc, value as u8]),
            0x100..=0xffff => {
                out.push(0xcd);
                out.extend_from_slice(&(value as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(0xce);
                out.extend_from_slice(&(value as u32).to_be_bytes());
            }
            _ => {
                out.push(0xcf);
                out.extend_from_slice(&value.to_be_bytes());
            }
        }
    } else if value >= -32 {
        out.push(value as i8 as u8);
    } else if value >= i8::MIN as i64 {
        out.extend_from_slice(&[0xd0, value as i8 as u8]);
    } else if value >= i16::MIN as i64 {
        out.push(0xd1);
        out.extend_from_slice(&(value as i16).to_be_bytes());
    } else if value >= i32::MIN as i64 {
        out.push(0xd2);
        out.extend_from_slice(&(value as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&value.to_be_bytes());
    }
}

pub(crate) fn write_f64(out: &mut Vec<u8>, value: f64) {
    out.push(0xcb);
    out.extend_from_slice(&value.to_be_bytes());
}

fn write_len(out: &mut Vec<u8>, len: usize, fix: Option<(u8, usize)>, markers: [u8; 3]) {
    match fix {
        Some((base, limit)) if len < limit => out.push(base | len as u8),
        _ if markers[0] != 0 && len <= 0xff => out.extend_from_slice(&[markers[0], len as u8]),
        _ if len <= 0xffff => {
            out.push(markers[1]);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(markers[2]);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

pub(crate) fn write_str(out: &mut Vec<u8>, value: &str) {
    write_len(out, value.len(), Some((0xa0, 32)), [0xd9, 0xda, 0xdb]);
    out.extend_from_slice(value.as_bytes());
}

pub(crate) fn write_bin(out: &mut Vec<u8>, value: &[u8]) {
    write_len(out, value.len(), None, [0xc4, 0xc5, 0xc6]);
    out.extend_from_slice(value);
}

pub(crate) fn write_array_len(out: &mut Vec<u8>, len: usize) {
    write_len(out, len, Some((0x90, 16)), [0, 0xdc, 0xdd]);
}

pub(crate) fn write_map_len(out: &mut Vec<u8>, len: usize) {
    write_len(out, len, Some((0x80, 16)), [0, 0xde, 0xdf]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int_bytes(value: i64) -> Vec<u8> {
        let mut out = Vec::new();
        write_int(&mut out, value);
        out
    }

    #[test]
    fn integers_use_the_most_compact_form() {
        assert_eq!(int_bytes(0), [0x00]);
        assert_eq!(int_bytes(127), [0x7f]);
        assert_eq!(int_bytes(128), [0xcc, 0x80]);
        assert_eq!(int_bytes(65535), [0xcd, 0xff, 0xff]);
        assert_eq!(int_bytes(65536), [0xce, 0, 1, 0, 0]);
        assert_eq!(int_bytes(1 << 32), [0xcf, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(int_bytes(-1), [0xff]);
        assert_eq!(int_bytes(-32), [0xe0]);
        assert_eq!(int_bytes(-33), [0xd0, 0xdf]);
        assert_eq!(int_bytes(-129), [0xd1, 0xff, 0x7f]);
        assert_eq!(int_bytes(i64::MIN), [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn lengths_switch_forms_at_the_spec_boundaries() {
        let mut out = Vec::new();
        write_str(&mut out, &"x".repeat(31));
        assert_eq!(out[0], 0xbf);
        out.clear();
        write_str(&mut out, &"x".repeat(32));
        assert_eq!(&out[..2], [0xd9, 32]);
        out.clear();
        write_array_len(&mut out, 16);
        assert_eq!(out, [0xdc, 0, 16]);
        out.clear();
        write_map_len(&mut out, 70000);
        assert_eq!(out, [0xdf, 0, 1, 0x11, 0x70]);
        out.clear();
        write_bin(&mut out, b"ab");
        assert_eq!(out, [0xc4, 2, b'a', b'b']);
    }

    #[test]
    fn reader_decodes_every_marker_family() {
        let bytes = [
            0x05, 0xe0, 0xcc, 0xff, 0xd1, 0xff, 0x7f, 0xca, 0x3f, 0x80, 0, 0, 0xa1, b'a', 0xc4, 1,
            9, 0x92, 0x81, 0xc7, 2, 5, 1, 2, 0xd4, 0, 0, 0xc0, 0xc3,
        ];
        let mut reader = Reader::new(&bytes);
        let mut tokens = Vec::new();
        while reader.remaining() > 0 {
            tokens.push(reader.next().unwrap());
        }
        assert_eq!(
            tokens,
            [
                Token::Uint(5),
                Token::Int(-32),
                Token::Uint(255),
                Token::Int(-129),
                Token::F32(1.0),
                Token::Str(b"a"),
                Token::Bin(&[9]),
                Token::Array(2),
                Token::Map(1),
                Token::Ext(5, &[1, 2]),
                Token::Ext(0, &[0]),
                Token::Nil,
                Token::Bool(true),
            ]
        );
    }

    #[test]
    fn reader_rejects_lengths_beyond_the_data() {
        assert!(Reader::new(&[0xdd, 0xff, 0xff, 0xff, 0xff]).next().is_err());
        assert!(Reader::new(&[0xdb, 0, 0, 0, 9, b'a']).next().is_err());
        assert!(Reader::new(&[0xcb, 0]).next().is_err());
        assert!(Reader::new(&[0xc1]).next().is_err());
        assert!(Reader::new(&[]).next().is_err());
    }
}
