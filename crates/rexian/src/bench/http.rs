//! A small HTTP/1.1 keep-alive client for the load generator: one connection per worker, no
//! pooling and no TLS, so the generator takes as little of the machine's CPU as it can.

use std::net::SocketAddr;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Where the server is: `http://host:port`.
#[derive(Debug, Clone)]
pub struct Target {
    /// Resolved address.
    pub addr: SocketAddr,
    /// `Host` header value.
    pub host: String,
}

impl Target {
    /// Parses and resolves an `http://host:port[/]` URL.
    pub async fn parse(url: &str) -> anyhow::Result<Target> {
        let rest = url
            .strip_prefix("http://")
            .context("--url must start with http:// (the bench speaks plain HTTP/1.1)")?;
        let host = rest.split('/').next().unwrap_or_default().to_owned();
        anyhow::ensure!(!host.is_empty(), "no host in {url}");
        let with_port = if host.contains(':') {
            host.clone()
        } else {
            format!("{host}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .with_context(|| format!("resolving {with_port}"))?
            .next()
            .with_context(|| format!("{with_port} resolves to no address"))?;
        Ok(Target { addr, host })
    }
}

/// An answer: status and body.
#[derive(Debug)]
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Resp {
    /// The body as JSON (Null when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// A short text of the body for error reports.
    pub fn snippet(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(300)]).into_owned()
    }
}

/// One keep-alive connection.
pub struct Conn {
    target: Target,
    stream: Option<BufReader<TcpStream>>,
    buf: Vec<u8>,
}

impl Conn {
    /// A connection to `target`, opened on first use.
    pub fn new(target: &Target) -> Conn {
        Conn {
            target: target.clone(),
            stream: None,
            buf: Vec::with_capacity(4096),
        }
    }

    /// Sends one request and reads the whole answer; reconnects once when a kept-alive
    /// connection turns out closed.
    pub async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Resp> {
        let body = match body {
            Some(b) => serde_json::to_vec(b)?,
            None => Vec::new(),
        };
        self.buf.clear();
        use std::io::Write;
        write!(
            self.buf,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n",
            self.target.host
        )?;
        if let Some(t) = token {
            write!(self.buf, "Authorization: Bearer {t}\r\n")?;
        }
        if let Some(k) = idempotency_key {
            write!(self.buf, "Idempotency-Key: {k}\r\n")?;
        }
        if method != "GET" {
            write!(
                self.buf,
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            )?;
        }
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(&body);
        let fresh = self.stream.is_none();
        match self.round_trip().await {
            Ok(r) => Ok(r),
            Err(_) if !fresh => {
                // The server may have closed an idle connection: one more try on a new one.
                self.stream = None;
                self.round_trip().await
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }

    async fn round_trip(&mut self) -> anyhow::Result<Resp> {
        if self.stream.is_none() {
            let s = TcpStream::connect(self.target.addr)
                .await
                .with_context(|| format!("connecting to {}", self.target.addr))?;
            s.set_nodelay(true)?;
            self.stream = Some(BufReader::with_capacity(16 * 1024, s));
        }
        let Some(stream) = self.stream.as_mut() else {
            bail!("no connection");
        };
        stream.get_mut().write_all(&self.buf).await?;
        let r = read_response(stream).await;
        if let Ok((_, close)) = &r {
            if *close {
                self.stream = None;
            }
        }
        r.map(|(resp, _)| resp)
    }
}

/// Reads one response; returns it and whether the server closes the connection.
async fn read_response(s: &mut BufReader<TcpStream>) -> anyhow::Result<(Resp, bool)> {
    let mut line = String::new();
    if s.read_line(&mut line).await? == 0 {
        bail!("connection closed");
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|x| x.parse().ok())
        .with_context(|| format!("bad status line {line:?}"))?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut close = false;
    loop {
        line.clear();
        if s.read_line(&mut line).await? == 0 {
            bail!("connection closed in the headers");
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse().context("bad content-length")?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            s.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .with_context(|| format!("bad chunk size {line:?}"))?;
            if size == 0 {
                // Trailers, then the blank line.
                loop {
                    line.clear();
                    if s.read_line(&mut line).await? == 0 || line.trim_end().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            s.read_exact(&mut body[start..]).await?;
            let mut crlf = [0u8; 2];
            s.read_exact(&mut crlf).await?;
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        s.read_exact(&mut body).await?;
    } else if status != 204 && status != 304 {
        s.read_to_end(&mut body).await?;
        close = true;
    }
    Ok((Resp { status, body }, close))
}
