//! The stdio transport, with a JSON-RPC parse error for each malformed line.
//!
//! rmcp's stdio transport skips a line that is not JSON without a word
//! (rust-sdk #938), so a client that sent it waits forever. JSON-RPC 2.0 asks
//! for a parse error (-32700) and the session to go on. A task reads stdin
//! line by line: JSON lines go on, unchanged, to rmcp's own transport through
//! an in-memory pipe; for any other line a parse error is sent back through
//! rmcp's writer, so that replies never interleave.

use std::io;

use rmcp::RoleServer;
use rmcp::model::{ErrorData, ServerJsonRpcMessage};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::async_rw::{AsyncRwTransport, DEFAULT_MAX_LINE_LENGTH};
use rmcp::transport::{StdioWriter, Transport};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;

/// Room in the pipe between the line filter and rmcp; a longer line streams through.
const PIPE_BYTES: usize = 64 * 1024;

/// rmcp's stdio transport behind the line filter.
pub(super) struct Stdio {
    inner: AsyncRwTransport<RoleServer, DuplexStream, StdioWriter>,
    /// Why each malformed line was refused, in the order they came.
    malformed: mpsc::UnboundedReceiver<String>,
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

/// Copies each line that is JSON from `input` to `output`; reports the others.
/// Ends (closing `output`, so the session ends) at end of input.
async fn filter_lines(
    input: impl AsyncRead + Unpin,
    mut output: DuplexStream,
    report: mpsc::UnboundedSender<String>,
) {
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    loop {
        line.clear();
        match read_line(&mut input, &mut line).await {
            Ok(Line::End) => break,
            Ok(Line::TooLong) => {
                let _ = report.send(format!(
                    "message longer than {DEFAULT_MAX_LINE_LENGTH} bytes"
                ));
                continue;
            }
            Ok(Line::Read) => {}
            Err(error) => {
                tracing::error!("cannot read stdin: {error}");
                break;
            }
        }
        if let Err(problem) = check_json(&line) {
            let _ = report.send(problem);
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

/// Whether a line is JSON text; rmcp answers JSON that is not a JSON-RPC
/// message itself (with "Invalid Request"), and skips blank lines.
fn check_json(line: &[u8]) -> Result<(), String> {
    let text = line.strip_suffix(b"\n").unwrap_or(line);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    // RFC 8259 §8.1 lets a parser ignore a byte order mark; rmcp does.
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    if text.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match serde_json::from_slice::<serde::de::IgnoredAny>(text) {
        Err(error) if error.is_syntax() || error.is_eof() => Err(error.to_string()),
        _ => Ok(()),
    }
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
                Some(problem) = self.malformed.recv() => {
                    tracing::debug!("malformed message: {problem}");
                    let reply = ServerJsonRpcMessage::error(
                        ErrorData::parse_error(format!("Parse error: {problem}"), None),
                        None,
                    );
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
    use super::check_json;

    #[test]
    fn tells_json_from_malformed_lines() {
        assert!(check_json(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n").is_ok());
        assert!(check_json(b"\xEF\xBB\xBF{}\r\n").is_ok());
        assert!(check_json(b"   \n").is_ok());
        // Valid JSON but no JSON-RPC message: rmcp answers "Invalid Request".
        assert!(check_json(b"[1,2]\n").is_ok());
        assert!(check_json(b"{\"jsonrpc\":\n").is_err());
        assert!(check_json(b"not json\n").is_err());
    }
}
