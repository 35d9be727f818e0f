//! The stdio transport, with a JSON-RPC error for each line rmcp would leave
//! unanswered.
//!
//! rmcp's stdio transport skips a line that is not JSON without a word
//! (rust-sdk #938), so a client that sent it waits forever. JSON-RPC 2.0 asks
//! for a parse error (-32700) and the session to go on. rmcp's check is lax
//! besides: a line with invalid UTF-8 inside a string or a number out of range
//! passes it and is then dropped. And a request whose parameters do not fit
//! (a `tools/call` whose `arguments` is not an object) gets "Invalid Request"
//! without its id, which no client can match to what it sent.
//!
//! A task reads stdin line by line and checks each fully ([`verdict`]): a line
//! rmcp reads as a message goes on, unchanged, to rmcp's own transport through
//! an in-memory pipe; a line that is not JSON gets a parse error, and a request
//! rmcp cannot read gets "Invalid params" (-32602) with its id. These replies
//! are sent through rmcp's writer, so that replies never interleave. Any other
//! JSON goes to rmcp too, which answers it with "Invalid Request".

use std::io;

use rmcp::RoleServer;
use rmcp::model::{ClientJsonRpcMessage, ErrorData, RequestId, ServerJsonRpcMessage};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::async_rw::{AsyncRwTransport, DEFAULT_MAX_LINE_LENGTH};
use rmcp::transport::{StdioWriter, Transport};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;

/// Room in the pipe between the line filter and rmcp; a longer line streams through.
const PIPE_BYTES: usize = 64 * 1024;

/// rmcp's stdio transport behind the line filter.
pub(super) struct Stdio {
    inner: AsyncRwTransport<RoleServer, DuplexStream, StdioWriter>,
    /// The answer to each line refused, in the order they came.
    malformed: mpsc::UnboundedReceiver<ServerJsonRpcMessage>,
}

/// Stdin and stdout as an MCP transport. Must be called inside the runtime.
pub(super) fn transport() -> Stdio {
    // Non-blocking pipes when stdin and stdout are pipes (as MCP clients
    // start servers): no hand-off to a blocking thread per message.
    let (stdin, stdout) = rmcp::transport::stdio_pipes();
    let (to_rmcp, from_filter) = tokio::io::duplex(PIPE_BYTES);
    let (report, malformed) = mpsc::unbounded_channel();
    tokio::spawn(filter_lines(stdin, to_rmcp, report));
    Stdio {
        inner: AsyncRwTransport::new_server(from_filter, stdout),
        malformed,
    }
}

/// Copies each line rmcp can take from `input` to `output`; answers the others.
/// Ends (closing `output`, so the session ends) at end of input.
async fn filter_lines(
    input: impl AsyncRead + Unpin,
    mut output: DuplexStream,
    report: mpsc::UnboundedSender<ServerJsonRpcMessage>,
) {
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        match read_line(&mut input, &mut line).await {
            Ok(Line::End) => break,
            Ok(Line::TooLong) => {
                let _ = report.send(parse_error(&format!(
                    "message longer than {DEFAULT_MAX_LINE_LENGTH} bytes"
                )));
                continue;
            }
            Ok(Line::Read) => {}
            Err(error) => {
                tracing::error!("cannot read stdin: {error}");
                break;
            }
        }
        if let Verdict::Answer(reply) = verdict(&line) {
            tracing::debug!("refused a message: {reply:?}");
            let _ = report.send(*reply);
            continue;
        }
        if output.write_all(&line).await.is_err() {
            break; // the session is over
        }
    }
    let _ = output.shutdown().await;
}

enum Line {
    Read,
    TooLong,
    End,
}

/// Reads one line into `line`, bounded as rmcp bounds it; the rest of a line
/// that is too long is skipped.
async fn read_line(
    input: &mut BufReader<impl AsyncRead + Unpin>,
    line: &mut Vec<u8>,
) -> io::Result<Line> {
    let limit = DEFAULT_MAX_LINE_LENGTH as u64;
    if (&mut *input).take(limit).read_until(b'\n', line).await? == 0 {
        return Ok(Line::End);
    }
    if line.ends_with(b"\n") || line.len() < DEFAULT_MAX_LINE_LENGTH {
        // A last line without its newline is passed on too; rmcp drops it.
        return Ok(Line::Read);
    }
    loop {
        line.clear();
        if (&mut *input).take(limit).read_until(b'\n', line).await? == 0 || line.ends_with(b"\n") {
            return Ok(Line::TooLong);
        }
    }
}

/// What becomes of one line.
#[derive(Debug)]
pub(super) enum Verdict {
    /// rmcp reads it: a message, a blank line it skips, or JSON it answers
    /// with "Invalid Request".
    Forward,
    /// This reply answers it, and rmcp never sees it.
    Answer(Box<ServerJsonRpcMessage>),
}

/// Checks a line fully, as rmcp will read it.
pub(super) fn verdict(line: &[u8]) -> Verdict {
    let text = line.strip_suffix(b"\n").unwrap_or(line);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    // RFC 8259 §8.1 lets a parser ignore a byte order mark; rmcp does.
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Forward;
    }
    // Every string and number is read, not skipped: a line rmcp reads as a
    // message is JSON by this measure too.
    let value = match serde_json::from_slice::<Value>(text) {
        Ok(value) => value,
        Err(error) => return Verdict::Answer(Box::new(parse_error(&error.to_string()))),
    };
    let request = value
        .get("method")
        .and_then(Value::as_str)
        .zip(request_id(&value));
    let Some((method, id)) = request else {
        return Verdict::Forward;
    };
    let invalid_params = |message: String| {
        Verdict::Answer(Box::new(ServerJsonRpcMessage::error(
            ErrorData::invalid_params(message, None),
            Some(id.clone()),
        )))
    };
    // rmcp would take it for a request of its own kind and not say what is wrong.
    if method == "tools/call"
        && let Some(arguments) = value.get("params").and_then(|p| p.get("arguments"))
        && !(arguments.is_object() || arguments.is_null())
    {
        return invalid_params("tools/call: `arguments` must be an object".to_owned());
    }
    match serde_json::from_slice::<ClientJsonRpcMessage>(text) {
        Ok(_) => Verdict::Forward,
        // A request rmcp cannot read, whose id it could have answered with.
        Err(error) => invalid_params(format!("{method}: invalid params: {error}")),
    }
}

/// The id of a request, if it has one rmcp could answer with.
fn request_id(value: &Value) -> Option<RequestId> {
    match value.get("id")? {
        Value::String(id) => Some(RequestId::String(id.as_str().into())),
        Value::Number(id) => id.as_i64().map(RequestId::Number),
        _ => None,
    }
}

/// A parse error (-32700): no id can be read from the line.
fn parse_error(problem: &str) -> ServerJsonRpcMessage {
    ServerJsonRpcMessage::error(
        ErrorData::parse_error(format!("Parse error: {problem}"), None),
        None,
    )
}

impl Transport<RoleServer> for Stdio {
    type Error = io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            tokio::select! {
                // A malformed line is answered before the lines after it are read.
                biased;
                Some(reply) = self.malformed.recv() => {
                    // Sent on its own task: `receive` may be cancelled at any
                    // await, and a half-sent reply must not be dropped.
                    let sending = self.inner.send(reply);
                    tokio::spawn(async move {
                        if let Err(error) = sending.await {
                            tracing::warn!("cannot send a parse error: {error}");
                        }
                    });
                }
                message = self.inner.receive() => return message,
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.inner.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The error code of the reply, or `None` when the line goes on to rmcp.
    fn answered(line: &[u8]) -> Option<(i32, Value)> {
        match verdict(line) {
            Verdict::Forward => None,
            Verdict::Answer(reply) => {
                let reply = serde_json::to_value(&reply).unwrap();
                Some((
                    reply["error"]["code"].as_i64().unwrap() as i32,
                    reply["id"].clone(),
                ))
            }
        }
    }

    #[test]
    fn tells_messages_from_lines_that_need_an_answer() {
        assert!(answered(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n").is_none());
        assert!(
            answered(b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n")
                .is_none()
        );
        assert!(answered(b"   \n").is_none());
        // Valid JSON but no JSON-RPC message: rmcp answers "Invalid Request".
        assert!(answered(b"[1,2]\n").is_none());
        assert_eq!(answered(b"{\"jsonrpc\":\n"), Some((-32700, Value::Null)));
        assert_eq!(answered(b"not json\n"), Some((-32700, Value::Null)));
        // What rmcp's own check lets through and then drops.
        assert_eq!(
            answered(
                b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"\xff\"}}\n"
            ),
            Some((-32700, Value::Null))
        );
        assert_eq!(
            answered(
                b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":1e400}}\n"
            ),
            Some((-32700, Value::Null))
        );
        for arguments in ["[1]", "\"text\"", "7", "true"] {
            let line = format!(
                r#"{{"jsonrpc":"2.0","id":"call-9","method":"tools/call","params":{{"name":"echo","arguments":{arguments}}}}}"#
            );
            assert_eq!(
                answered(line.as_bytes()),
                Some((-32602, Value::from("call-9"))),
                "{line}"
            );
        }
    }

    /// Lines seeded from real messages, cut, spliced and sprinkled with bytes.
    fn lines() -> impl Strategy<Value = Vec<u8>> {
        const SEEDS: &[&str] = &[
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":"3","method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}"#,
            r#"{"jsonrpc":"2.0","id":4,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":5,"method":"ping"}"#,
        ];
        (
            prop::sample::select(SEEDS),
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 0..6),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(seed, edits, cut)| {
                let mut line = seed.as_bytes().to_vec();
                for (at, byte, how) in edits {
                    let at = at.index(line.len() + 1);
                    match how {
                        0 => line.insert(at, byte),
                        1 if at < line.len() => line[at] = byte,
                        _ if at < line.len() => {
                            line.remove(at);
                        }
                        _ => line.push(byte),
                    }
                }
                if cut.index(8) == 0 {
                    line.truncate(cut.index(line.len() + 1));
                }
                line.push(b'\n');
                line
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

        /// Every line is answered: either rmcp reads it as a message (and rmcp
        /// answers every request it reads), or it is blank, or rmcp answers it
        /// as JSON that is no message, or the filter answers it. None panics.
        #[test]
        fn every_line_is_read_by_rmcp_or_answered(line in lines()) {
            match verdict(&line) {
                Verdict::Answer(reply) => {
                    let reply = serde_json::to_value(&reply).unwrap();
                    prop_assert!(reply["error"]["code"].is_i64());
                }
                Verdict::Forward => {
                    let text = line.strip_suffix(b"\n").unwrap();
                    let text = text.strip_suffix(b"\r").unwrap_or(text);
                    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
                    let blank = text.iter().all(u8::is_ascii_whitespace);
                    // rmcp reads a message, and answers JSON of the wrong shape
                    // (serde's Data category) with "Invalid Request".
                    let read_or_answered = match serde_json::from_slice::<ClientJsonRpcMessage>(text) {
                        Ok(_) => true,
                        Err(error) => error.classify() == serde_json::error::Category::Data,
                    };
                    prop_assert!(blank || read_or_answered, "{}", String::from_utf8_lossy(&line));
                }
            }
        }
    }
}
