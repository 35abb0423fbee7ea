/// Address space that is never a country's: private, loopback, link-local, shared (CGNAT),
/// documentation, multicast and reserved blocks (IANA special-purpose registries, RFC 6890).
///
/// In allow-only mode GeoFilter accepts these sources before the geo rule, so an allow-only
/// policy never cuts off the LAN, the admin or the host itself.
public enum ReservedSpace {
    /// IPv4 special-purpose blocks.
    public static let ipv4Networks: [String] = [
        "0.0.0.0/8",  // "this network" (RFC 791)
        "10.0.0.0/8",  // private (RFC 1918)
        "100.64.0.0/10",  // shared address space, CGNAT (RFC 6598)
        "127.0.0.0/8",  // loopback (RFC 1122)
        "169.254.0.0/16",  // link-local (RFC 3927)
        "172.16.0.0/12",  // private (RFC 1918)
        "192.0.0.0/24",  // IETF protocol assignments (RFC 6890)
        "192.0.2.0/24",  // documentation TEST-NET-1 (RFC 5737)
        "192.168.0.0/16",  // private (RFC 1918)
        "198.18.0.0/15",  // benchmarking (RFC 2544)
        "198.51.100.0/24",  // documentation TEST-NET-2 (RFC 5737)
        "203.0.113.0/24",  // documentation TEST-NET-3 (RFC 5737)
        "224.0.0.0/4",  // multicast (RFC 5771)
        "240.0.0.0/4",  // reserved, and 255.255.255.255 broadcast (RFC 1112, RFC 919)
    ]

    /// IPv6 special-purpose blocks.
    public static let ipv6Networks: [String] = [
        "::/128",  // unspecified (RFC 4291)
        "::1/128",  // loopback (RFC 4291)
        "::ffff:0:0/96",  // IPv4-mapped (RFC 4291)
        "100::/64",  // discard-only (RFC 6666)
        "2001:db8::/32",  // documentation (RFC 3849)
        "fc00::/7",  // unique local (RFC 4193)
        "fe80::/10",  // link-local (RFC 4291)
        "ff00::/8",  // multicast (RFC 4291)
    ]

    /// Both families as one set.
    public static let addresses: CIDRSet = {
        // The lists are constants checked by the tests; a parse failure is a programming error.
        try! CIDRSet(parsing: ipv4Networks + ipv6Networks)
    }()

    /// Loopback only: 127.0.0.0/8 and ::1.
    public static let loopback: CIDRSet = try! CIDRSet(parsing: ["127.0.0.0/8", "::1/128"])
}
