//! A deterministic generator of realistic Vault audit logs for tests and benchmarks:
//! request/response pairs sharing `request.id` (some in flight concurrently), ~3%
//! denials in the multierror form, entity-less tokens, a `sys/seal` request without
//! response, and the field set and sizes of a real file audit device.
#![allow(dead_code)]

use std::io::{self, Write};

/// SplitMix64: tiny, fast, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn hex(rng: &mut Rng, out: &mut String, n: usize) {
    const DIGITS: &[u8] = b"0123456789abcdef";
    let mut left = n;
    while left > 0 {
        let mut v = rng.next();
        for _ in 0..left.min(16) {
            out.push(DIGITS[(v & 15) as usize] as char);
            v >>= 4;
        }
        left = left.saturating_sub(16);
    }
}

fn stable_hex(seed: u64, n: usize) -> String {
    let mut s = String::with_capacity(n);
    hex(&mut Rng::new(seed), &mut s, n);
    s
}

struct Identity {
    entity: Option<String>,
    token: String,
    accessor: String,
    role: String,
}

/// Shape of the log to generate.
pub struct Spec {
    pub seed: u64,
    pub identities: u64,
    pub paths: u64,
    pub addresses: u64,
    /// Error share in percent.
    pub error_percent: u64,
    /// Start time, seconds since the epoch.
    pub start: i64,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            seed: 7,
            identities: 60,
            paths: 1544,
            addresses: 500,
            error_percent: 3,
            start: 1_714_521_600, // 2024-05-01T00:00:00Z
        }
    }
}

fn rfc3339(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let frac = format!("{nanos:09}");
    let frac = frac.trim_end_matches('0');
    let dot = if frac.is_empty() { "" } else { "." };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{dot}{frac}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Writes `pairs` accesses (about 2 × pairs lines) to `out`; returns bytes written.
pub fn write_vault_log(spec: &Spec, pairs: u64, out: &mut impl Write) -> io::Result<u64> {
    let mut rng = Rng::new(spec.seed);
    let identities: Vec<Identity> = (0..spec.identities)
        .map(|i| Identity {
            // One in twelve tokens has no entity (root-like or legacy tokens).
            entity: (i % 12 != 5).then(|| {
                let h = stable_hex(spec.seed ^ ((i + 1) * 31), 32);
                format!(
                    "{}-{}-{}-{}-{}",
                    &h[..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..]
                )
            }),
            token: format!(
                "hmac-sha256:{}",
                stable_hex(spec.seed ^ ((i + 1) * 131), 64)
            ),
            accessor: format!(
                "hmac-sha256:{}",
                stable_hex(spec.seed ^ ((i + 1) * 337), 64)
            ),
            role: format!("svc-{i}"),
        })
        .collect();
    let operations = ["read", "read", "read", "list", "update", "create"];
    let mut written = 0u64;
    let mut in_flight: Vec<String> = Vec::new();
    let mut line = String::with_capacity(2048);
    let mut time_ms = spec.start * 1000;
    let mut emitted = 0u64;
    while emitted < pairs || !in_flight.is_empty() {
        // Finish a pending request with probability 1/2 (or when no more to start).
        if !in_flight.is_empty() && (emitted >= pairs || rng.below(2) == 0) {
            let at = rng.below(in_flight.len() as u64) as usize;
            let response = in_flight.swap_remove(at);
            out.write_all(response.as_bytes())?;
            written += response.len() as u64;
            continue;
        }
        emitted += 1;
        time_ms += rng.below(400) as i64;
        let who = &identities
            [(rng.below(spec.identities) * rng.below(spec.identities) / spec.identities) as usize];
        let path_n = rng.below(spec.paths);
        let path = format!("secret/data/{}/config-{path_n}", who.role);
        let address = format!(
            "10.{}.{}.{}",
            rng.below(4),
            rng.below(8),
            rng.below(spec.addresses / 32 + 1)
        );
        let operation = operations[rng.below(operations.len() as u64) as usize];
        let mut id = String::new();
        hex(&mut rng, &mut id, 32);
        let id = format!(
            "{}-{}-{}-{}-{}",
            &id[..8],
            &id[8..12],
            &id[12..16],
            &id[16..20],
            &id[20..]
        );
        let denied = rng.below(100) < spec.error_percent;
        let secs = time_ms.div_euclid(1000);
        let nanos = (time_ms.rem_euclid(1000) as u32) * 1_000_000 + rng.below(999_999) as u32;
        let port = 30_000 + rng.below(30_000);

        let auth = {
            let entity = who
                .entity
                .as_ref()
                .map(|e| format!(r#""entity_id":"{e}","#))
                .unwrap_or_default();
            format!(
                r#"{{"client_token":"{t}","accessor":"{a}","display_name":"approle","policies":["default","{r}"],"token_policies":["default","{r}"],"metadata":{{"role_name":"{r}"}},{entity}"token_type":"service","token_ttl":3600,"token_issue_time":"2024-04-30T20:00:00-04:00"}}"#,
                t = who.token,
                a = who.accessor,
                r = who.role,
            )
        };
        let request = format!(
            r#"{{"id":"{id}","client_id":"{cid}","operation":"{operation}","mount_point":"secret/","mount_type":"kv","mount_accessor":"kv_5a6b7c8d","mount_running_version":"v0.20.0+builtin","mount_class":"secret","client_token":"{t}","client_token_accessor":"{a}","namespace":{{"id":"root"}},"path":"{path}","remote_address":"{address}","remote_port":{port}}}"#,
            cid = who
                .entity
                .as_deref()
                .unwrap_or("0DHqvq2DAbCdEf0123456789abcdefABCDEF0123=="),
            t = who.token,
            a = who.accessor,
        );
        let error = if denied {
            r#","error":"permission denied""#
        } else {
            ""
        };
        line.clear();
        line.push_str(&format!(
            r#"{{"time":"{}","type":"request","auth":{auth},"request":{request}{error}}}"#,
            rfc3339(secs, nanos)
        ));
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;

        let response_body = if denied {
            r#"{"mount_point":"secret/","mount_type":"kv","mount_accessor":"kv_5a6b7c8d","mount_running_plugin_version":"v0.20.0+builtin","mount_class":"secret"}"#.to_owned()
        } else {
            let mut value = String::new();
            hex(&mut rng, &mut value, 64);
            format!(
                r#"{{"mount_point":"secret/","mount_type":"kv","mount_accessor":"kv_5a6b7c8d","mount_running_plugin_version":"v0.20.0+builtin","mount_class":"secret","data":{{"data":{{"password":"hmac-sha256:{value}"}},"metadata":{{"created_time":"hmac-sha256:{value}","deletion_time":"hmac-sha256:{value}","destroyed":false,"version":{}}}}}}}"#,
                rng.below(9) + 1
            )
        };
        let error = if denied {
            r#","error":"1 error occurred:\n\t* permission denied\n\n""#
        } else {
            ""
        };
        let response = format!(
            "{{\"time\":\"{}\",\"type\":\"response\",\"auth\":{auth},\"request\":{request},\"response\":{response_body}{error}}}\n",
            rfc3339(secs, nanos + 350_000)
        );
        in_flight.push(response);
        // A seal request never gets a response.
        if rng.below(200_000) == 0 {
            let seal = format!(
                r#"{{"time":"{}","type":"request","auth":{auth},"request":{{"id":"seal-{emitted}","operation":"update","path":"sys/seal","remote_address":"{address}"}}}}"#,
                rfc3339(secs, nanos)
            );
            out.write_all(seal.as_bytes())?;
            out.write_all(b"\n")?;
            written += seal.len() as u64 + 1;
        }
    }
    Ok(written)
}
