//! Client addresses behind reverse proxies. Rate limits and lockouts key on the client's IP;
//! behind a load balancer every request arrives from the proxy, so the proxy's
//! `X-Forwarded-For` is believed, but only from proxies the operator named
//! (`GATEHOUSE_TRUSTED_PROXIES`): anyone else could write any address into that header.

use std::net::IpAddr;

/// One address or a CIDR block (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    base: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let base: IpAddr = addr.parse().map_err(|_| format!("`{raw}` is not an IP address or CIDR block"))?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("`{raw}` has a bad prefix length"))?,
        };
        Ok(Self { base, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.base, ip) {
            (IpAddr::V4(b), IpAddr::V4(i)) => masked(u32::from(b).into(), self.prefix, 32) == masked(u32::from(i).into(), self.prefix, 32),
            (IpAddr::V6(b), IpAddr::V6(i)) => masked(u128::from(b), self.prefix, 128) == masked(u128::from(i), self.prefix, 128),
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`, what a dual-stack socket reports) counts as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn masked(value: u128, prefix: u8, bits: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let keep = u128::MAX << (bits - prefix);
    let width_mask = if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 };
    value & keep & width_mask
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// nearest `X-Forwarded-For` hop that is not itself a trusted proxy (read right to left,
/// since each proxy appends the address it saw).
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpRange]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return canonical(peer);
    }
    let mut client = canonical(peer);
    for hop in forwarded_for.unwrap_or("").rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = canonical(ip);
                if !is_trusted(ip) {
                    break;
                }
            }
            // An unreadable hop ends the chain: the last address we could read stands.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(list: &[&str]) -> Vec<IpRange> {
        list.iter().map(|r| IpRange::parse(r).expect("range")).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn ranges_parse_and_match() {
        let r = ranges(&["10.0.0.0/8", "192.0.2.7", "fd00::/8"]);
        assert!(r[0].contains(ip("10.200.3.4")));
        assert!(!r[0].contains(ip("11.0.0.1")));
        assert!(r[0].contains(ip("::ffff:10.1.2.3")), "IPv4-mapped");
        assert!(r[1].contains(ip("192.0.2.7")) && !r[1].contains(ip("192.0.2.8")));
        assert!(r[2].contains(ip("fd12::1")) && !r[2].contains(ip("fe80::1")));
        assert!(IpRange::parse("0.0.0.0/0").expect("all").contains(ip("203.0.113.9")));
        for bad in ["10.0.0.0/33", "nope", "10.0.0.0/x", "::/129"] {
            assert!(IpRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = ranges(&["10.0.0.0/8"]);
        // Straight from the internet: the header is whatever the client wrote.
        assert_eq!(client_ip(ip("203.0.113.9"), Some("1.2.3.4"), &trusted), ip("203.0.113.9"));
        // Through the proxy: the hop it saw.
        assert_eq!(client_ip(ip("10.0.0.2"), Some("198.51.100.1"), &trusted), ip("198.51.100.1"));
        // A client-forged prefix is skipped: the rightmost untrusted hop wins.
        assert_eq!(client_ip(ip("10.0.0.2"), Some("1.2.3.4, 198.51.100.1, 10.0.0.5"), &trusted), ip("198.51.100.1"));
        // No header, or garbage: the proxy itself (or the last readable hop).
        assert_eq!(client_ip(ip("10.0.0.2"), None, &trusted), ip("10.0.0.2"));
        assert_eq!(client_ip(ip("10.0.0.2"), Some("garbage, 10.0.0.5"), &trusted), ip("10.0.0.5"));
        // Nothing trusted (the default): the peer, always.
        assert_eq!(client_ip(ip("10.0.0.2"), Some("198.51.100.1"), &[]), ip("10.0.0.2"));
    }
}
