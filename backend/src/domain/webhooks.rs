//! The rules of outbound webhooks: how a request is signed, which addresses an endpoint
//! may point at, and when a failed delivery is tried again.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a delivery keeps being retried.
pub const RETRY_FOR: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest wait between two attempts.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60 * 60);

/// The `Pulse-Signature` value for `body` sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex(&mac(secret, timestamp, body)))
}

/// Whether `header` is a valid signature of `body` under `secret`, made within
/// `tolerance` seconds of `now`. What a receiver does; the tests use it as one.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    if (now - timestamp).abs() > tolerance {
        return false;
    }
    let mut expected =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable_key());
    expected.update(format!("{timestamp}.").as_bytes());
    expected.update(body);
    signatures.into_iter().any(|candidate| {
        unhex(candidate).is_some_and(|bytes| expected.clone().verify_slice(&bytes).is_ok())
    })
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable_key());
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

// HMAC accepts keys of any length, so `new_from_slice` cannot fail; this keeps the
// lint against `expect` without pretending otherwise.
fn unreachable_key() -> Hmac<Sha256> {
    <Hmac<Sha256> as hmac::digest::KeyInit>::new(&Default::default())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

/// Whether an endpoint may be reached at `ip`: public unicast only. Loopback, private,
/// shared (CGNAT), link-local (which holds the cloud metadata service at
/// 169.254.169.254), multicast, documentation and reserved ranges are refused, also
/// when written as IPv4-mapped or NAT64 IPv6 addresses.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., high, low] = segments;
        return is_public_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
    }
    // 6to4 (2002::/16) reaches the IPv4 address in its second and third segments.
    if segments[0] == 0x2002 {
        let (high, low) = (segments[1], segments[2]);
        return is_public_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)));
    }
    // Local-use NAT64 (64:ff9b:1::/48) may translate to anything a network likes, and
    // Teredo (2001::/32) tunnels to an address it hides: neither names a public host.
    let local_nat64 = segments[..3] == [0x64, 0xff9b, 1];
    let teredo = segments[..2] == [0x2001, 0];
    !(local_nat64
        || teredo
        || ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
}

/// Why an endpoint URL is refused, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlRefused(pub &'static str);

/// Checks what can be checked without resolving the host: an absolute `https` URL
/// (or `http` when private addresses are allowed) with a host, no credentials, and,
/// when the host is an IP address, a public one.
pub fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, UrlRefused> {
    if url.len() > pulse_shared::webhooks::MAX_URL_LEN {
        return Err(UrlRefused("Use a URL of at most 2,048 characters."));
    }
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|_| UrlRefused("Enter a full URL, such as https://example.com/hooks/pulse."))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(UrlRefused("Webhook endpoints must use https://.")),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlRefused(
            "Leave credentials out of the URL; requests are signed instead.",
        ));
    }
    match parsed.host() {
        None => Err(UrlRefused("The URL needs a host name.")),
        Some(_) if allow_private => Ok(parsed),
        Some(url::Host::Ipv4(ip)) if !is_public_v4(ip) => Err(PRIVATE),
        Some(url::Host::Ipv6(ip)) if !is_public_v6(ip) => Err(PRIVATE),
        Some(url::Host::Domain(name)) if is_local_name(name) => Err(PRIVATE),
        Some(_) => Ok(parsed),
    }
}

/// The refusal for an address that is not public.
pub const PRIVATE: UrlRefused = UrlRefused(
    "This address is private, loopback, link-local or a metadata service; use a public HTTPS endpoint.",
);

/// Names that always mean this machine or the local network.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.ends_with(".local")
        || name.ends_with(".internal")
        || !name.contains('.')
}

/// The wait after failed attempt number `attempt` (1 for the first): `base` doubled
/// per attempt, capped at [`MAX_RETRY_WAIT`], then scaled by `jitter` in `[0, 1)` to a
/// point between half and all of it, so endpoints that fail together do not retry together.
pub fn retry_wait(base: Duration, attempt: u32, jitter: f64) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    let full = base
        .saturating_mul(1u32 << exponent)
        .min(MAX_RETRY_WAIT.max(base));
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let header = signature("whsec_k", 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(verify("whsec_k", &header, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(!verify(
            "whsec_k",
            &header,
            b"{\"a\":2}",
            1_700_000_010,
            300
        ));
        assert!(!verify(
            "whsec_x",
            &header,
            b"{\"a\":1}",
            1_700_000_010,
            300
        ));
        assert!(!verify(
            "whsec_k",
            &header,
            b"{\"a\":1}",
            1_700_001_000,
            300
        ));
        assert!(!verify("whsec_k", "v1=00", b"{}", 0, 300));
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // printf '1.x' | openssl dgst -sha256 -hmac key
        assert_eq!(
            signature("key", 1, b"x"),
            "t=1,v1=fc4913c41a7bf793267e2a384f3261c9436ec2cd097bd745e7b0d99113f510ec"
        );
    }

    #[test]
    fn only_public_addresses_are_allowed() {
        let refused = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::808:808",
            "64:ff9b:1:ffff::a00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2002:c0a8:101::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:db8::1",
        ];
        for ip in refused {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_public(ip), "{ip} must be refused");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(is_public(ip), "{ip} is public");
        }
    }

    #[test]
    fn urls_are_checked_before_any_lookup() {
        for url in [
            "http://example.com/hook",
            "ftp://example.com",
            "https://127.0.0.1/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://localhost:8443/",
            "https://metadata.google.internal/",
            "https://user:pw@example.com/",
            "not a url",
        ] {
            assert!(check_url(url, false).is_err(), "{url} must be refused");
        }
        assert!(check_url("https://hooks.example.com/pulse", false).is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
    }

    #[test]
    fn waits_double_with_jitter_and_stop_growing() {
        let base = Duration::from_secs(30);
        assert_eq!(retry_wait(base, 1, 1.0), Duration::from_secs(30));
        assert_eq!(retry_wait(base, 2, 1.0), Duration::from_secs(60));
        assert_eq!(retry_wait(base, 3, 0.0), Duration::from_secs(60));
        assert_eq!(retry_wait(base, 40, 1.0), MAX_RETRY_WAIT);
        assert!(retry_wait(base, 4, 0.5) < retry_wait(base, 4, 0.9));
    }
}
