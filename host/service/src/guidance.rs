//! Guidance for agents that a plugin ships: Markdown on when and how to use
//! its tools, which `skill install --agent` puts where the agent reads skills.
//!
//! It travels in a custom section named [`SECTION`] of the plugin's core
//! module (`skill_pdk::agent_guidance!` writes it). Why a custom section and
//! not a field of the manifest: the manifest is a record of WIT contract
//! 0.1, which cannot grow a field without a new contract version, and plugins
//! built for 0.1 must keep loading. A custom section changes no interface,
//! every runtime ignores it, it is read without running the plugin, and it
//! is covered by the SHA-256 the install pins.

use wasmparser::{Parser, Payload};

/// The custom section's name.
pub const SECTION: &str = "skill-guidance";

/// The most guidance a plugin may ship: it is read into an agent's context.
pub const MAX_GUIDANCE_BYTES: usize = 64 << 10;

/// The guidance in `wasm`, if it ships any: UTF-8 Markdown of at most
/// [`MAX_GUIDANCE_BYTES`], without control characters other than tab and
/// line ends. Sections of that name in several modules are joined in order.
pub fn read(wasm: &[u8]) -> Result<Option<String>, String> {
    let mut bytes: Option<Vec<u8>> = None;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|error| format!("its bytes do not parse: {error}"))?;
        if let Payload::CustomSection(section) = payload
            && section.name() == SECTION
        {
            let data = section.data();
            let all = bytes.get_or_insert_with(Vec::new);
            if all.len() + data.len() > MAX_GUIDANCE_BYTES {
                return Err(format!(
                    "its guidance for agents is over {MAX_GUIDANCE_BYTES} bytes"
                ));
            }
            all.extend_from_slice(data);
        }
    }
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes)
        .map_err(|error| format!("its guidance for agents is not UTF-8: {error}"))?;
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(format!(
            "its guidance for agents holds the control character {:?}",
            c
        ));
    }
    Ok(Some(text).filter(|text| !text.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A core module with custom sections, as wasm-encoder would write it.
    fn module(sections: &[(&str, &[u8])]) -> Vec<u8> {
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        for (name, data) in sections {
            let mut body = vec![name.len() as u8];
            body.extend_from_slice(name.as_bytes());
            body.extend_from_slice(data);
            wasm.push(0);
            let mut size = body.len();
            loop {
                let byte = (size & 0x7f) as u8;
                size >>= 7;
                wasm.push(if size == 0 { byte } else { byte | 0x80 });
                if size == 0 {
                    break;
                }
            }
            wasm.extend_from_slice(&body);
        }
        wasm
    }

    #[test]
    fn guidance_is_read_joined_and_bounded() {
        assert_eq!(read(&module(&[("other", b"x")])), Ok(None));
        let two = module(&[(SECTION, b"# Use "), ("name", b""), (SECTION, b"greet\n")]);
        assert_eq!(read(&two), Ok(Some("# Use greet\n".to_owned())));
        let big = vec![b'a'; MAX_GUIDANCE_BYTES + 1];
        assert!(
            read(&module(&[(SECTION, &big)]))
                .unwrap_err()
                .contains("over")
        );
        let escape = module(&[(SECTION, b"\x1b[2J")]);
        assert!(read(&escape).unwrap_err().contains("control"));
        assert!(
            read(&module(&[(SECTION, b"\xff")]))
                .unwrap_err()
                .contains("UTF-8")
        );
    }
}
