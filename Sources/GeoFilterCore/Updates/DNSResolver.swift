internal import SystemPackage

/// A small stub resolver of GeoFilter's own: asks a recursive DNS server (from
/// `/etc/resolv.conf`, or one given explicitly) for the A and AAAA records of trusted and
/// provider host names, and for SRV records (`_sip._udp.example.net`) and their targets'
/// addresses.
///
/// Why not glibc's `getaddrinfo` or `res_nquery`: neither can be pointed at a server on a port
/// other than 53 per call (tests run a DNS server on a free loopback port), `getaddrinfo`
/// cannot ask for SRV records, and both keep per-thread state that the host's own use of the
/// resolver would share. This one is small, blocking and bounded:
/// - UDP first, from a connected socket with a random ID (and the kernel's random source port);
///   an answer with the TC bit is asked again over TCP.
/// - Every answer is read as hostile input (``DNSMessage``): the ID and the question must be
///   those asked, lengths are checked, compression pointers may only point backwards, and only
///   records for the name asked (or the names its CNAME chain leads to) are used. A refused
///   datagram does not end the wait: the genuine answer may still come.
/// - CNAME chains are followed up to ``Configuration/maximumAliases`` names, SRV records to at
///   most ``Configuration/maximumTargets`` targets.
/// - Each query waits at most ``Configuration/timeout`` per server and is tried
///   ``Configuration/attempts`` times over the servers in turn; one name's queries together
///   take at most ``Configuration/maximumDuration``.
/// - A failure is all or nothing: a name whose A query worked and whose AAAA query timed out
///   fails as a whole, so the caller keeps the previous addresses rather than half of them.
///
/// `/etc/hosts` is not consulted: trunk names are DNS names.
public struct DNSResolver: HostNameResolver {
    /// A DNS server's address and port.
    public struct Nameserver: Sendable, Hashable, CustomStringConvertible {
        public var address: IPAddress
        public var port: UInt16

        public init(address: IPAddress, port: UInt16 = 53) {
            self.address = address
            self.port = port
        }

        /// Reads `192.0.2.53`, `127.0.0.1:5353`, `2001:db8::53` or `[::1]:5353`.
        ///
        /// - Throws: ``GeoFilterError`` (`.invalidInput`) naming the text.
        public init(parsing text: String) throws(GeoFilterError) {
            var host = Substring(text)
            var port: UInt16 = 53
            if host.hasPrefix("[") {
                guard let close = host.firstIndex(of: "]") else {
                    throw GeoFilterError(.invalidInput, "'\(text)' is not a name server: write ADDRESS, ADDRESS:PORT or [IPv6]:PORT")
                }
                let rest = host[host.index(after: close)...]
                host = host[host.index(after: host.startIndex)..<close]
                if !rest.isEmpty {
                    guard rest.hasPrefix(":"), let value = UInt16(rest.dropFirst()), value > 0 else {
                        throw GeoFilterError(.invalidInput, "'\(text)' has no valid port after the address (1-65535)")
                    }
                    port = value
                }
            } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
                guard let value = UInt16(host[host.index(after: colon)...]), value > 0 else {
                    throw GeoFilterError(.invalidInput, "'\(text)' has no valid port after the address (1-65535)")
                }
                port = value
                host = host[..<colon]
            }
            let parsed: IPAddress
            do throws(IPAddressParseError) {
                parsed = try IPAddress(parsing: String(host))
            } catch {
                throw GeoFilterError(.invalidInput, "name server \(error)")
            }
            address = parsed
            self.port = port
        }

        /// `127.0.0.1:5353`, `[::1]:53`.
        public var description: String {
            switch address {
            case .v4: "\(address):\(port)"
            case .v6: "[\(address)]:\(port)"
            }
        }
    }

    /// Which servers to ask and how long to wait.
    public struct Configuration: Sendable, Hashable {
        /// The servers, asked in turn.
        public var nameservers: [Nameserver]
        /// How long one query waits for one server's answer.
        public var timeout: Duration
        /// How many rounds over the servers a query makes at most.
        public var attempts: Int
        /// The longest CNAME chain followed.
        public var maximumAliases: Int
        /// The most SRV targets resolved for one service.
        public var maximumTargets: Int
        /// The longest one name's resolution may take, all its queries together (a service
        /// with many targets and a slow server ends with a timeout failure then).
        public var maximumDuration: Duration

        /// - Parameters:
        ///   - timeout: clamped to 10 ms ... 30 s.
        ///   - attempts: clamped to 1 ... 5.
        ///   - maximumDuration: at least `timeout`.
        public init(
            nameservers: [Nameserver], timeout: Duration = .seconds(2), attempts: Int = 2, maximumAliases: Int = 8, maximumTargets: Int = 16,
            maximumDuration: Duration = .seconds(20)
        ) {
            self.nameservers = nameservers
            self.timeout = min(max(timeout, .milliseconds(10)), .seconds(30))
            self.attempts = min(max(attempts, 1), 5)
            self.maximumAliases = min(max(maximumAliases, 0), 16)
            self.maximumTargets = min(max(maximumTargets, 1), 64)
            self.maximumDuration = max(maximumDuration, self.timeout)
        }

        /// The system's resolver configuration: the `nameserver` lines (at most three, as
        /// glibc reads) and `options timeout:N attempts:N` of a `resolv.conf` file; 127.0.0.1
        /// when it names no server (glibc's default). Link-local servers with a zone
        /// (`fe80::1%eth0`) are skipped.
        ///
        /// - Throws: ``GeoFilterError`` when the file exists but cannot be read.
        public static func system(resolvConf path: String = "/etc/resolv.conf") throws(GeoFilterError) -> Configuration {
            let bytes: [UInt8]
            do throws(GeoFilterError) {
                bytes = try RegularFile.read(path, limit: 1 << 16)
            } catch where error.errno == .noSuchFileOrDirectory {
                bytes = []
            }
            return parse(resolvConf: String(decoding: bytes, as: UTF8.self))
        }

        static func parse(resolvConf text: String) -> Configuration {
            var servers: [Nameserver] = []
            var timeout = Duration.seconds(2)
            var attempts = 2
            for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard let keyword = fields.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";") else { continue }
                if keyword == "nameserver", fields.count >= 2, servers.count < 3, let address = try? IPAddress(parsing: fields[1]) {
                    servers.append(Nameserver(address: address))
                } else if keyword == "options" {
                    for option in fields.dropFirst() {
                        if option.hasPrefix("timeout:"), let seconds = Int(option.dropFirst(8)) {
                            timeout = .seconds(min(max(seconds, 1), 30))
                        } else if option.hasPrefix("attempts:"), let count = Int(option.dropFirst(9)) {
                            attempts = count
                        }
                    }
                }
            }
            if servers.isEmpty { servers = [Nameserver(address: .v4(IPv4Address(127, 0, 0, 1)))] }
            return Configuration(nameservers: servers, timeout: timeout, attempts: attempts)
        }
    }

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// A resolver asking `nameservers` (the system's when nil).
    ///
    /// - Throws: ``GeoFilterError`` when `/etc/resolv.conf` exists but cannot be read.
    public init(nameservers: [Nameserver]? = nil, timeout: Duration = .seconds(2), attempts: Int = 2) throws(GeoFilterError) {
        if let nameservers, !nameservers.isEmpty {
            configuration = Configuration(nameservers: nameservers, timeout: timeout, attempts: attempts)
        } else {
            var system = try Configuration.system()
            system.timeout = min(system.timeout, timeout)
            configuration = system
        }
    }

    /// The addresses of a host (A and AAAA, CNAMEs followed) or of an SRV service's targets.
    ///
    /// - Throws: ``GeoFilterError`` (`.network`) naming the name: it does not exist
    ///   (NXDOMAIN), has no address, a server failed (SERVFAIL, REFUSED), no usable answer came
    ///   in time (with the last refused answer's defect: another ID, another question, a
    ///   malformed message), or a chain is too long.
    public func resolve(_ name: HostEntry) throws(GeoFilterError) -> HostResolution {
        let end = ContinuousClock.now.advanced(by: configuration.maximumDuration)
        switch name {
        case .host(let host):
            return try addresses(of: host, until: end)
        case .service:
            return try service(name, until: end)
        }
    }

    /// A and AAAA of a host.
    func addresses(of host: HostName, until end: ContinuousClock.Instant) throws(GeoFilterError) -> HostResolution {
        let v4 = try lookup(host.labels, .a, until: end)
        let v6 = try lookup(host.labels, .aaaa, until: end)
        var addresses: [IPAddress] = []
        for record in v4.records + v6.records {
            switch record.data {
            case .a(let address): addresses.append(.v4(address))
            case .aaaa(let address): addresses.append(.v6(address))
            default: break
            }
        }
        guard !addresses.isEmpty else {
            throw GeoFilterError(.network, "\(host) has no A or AAAA record")
        }
        let aliases = v4.aliases.count >= v6.aliases.count ? v4.aliases : v6.aliases
        return HostResolution(
            addresses: Array(Set(addresses)).sorted(), aliases: aliases.map { $0.joined(separator: ".") },
            ttl: [v4.ttl, v6.ttl].compactMap { $0 }.min())
    }

    /// SRV records of a service, then the addresses of each target.
    private func service(_ name: HostEntry, until end: ContinuousClock.Instant) throws(GeoFilterError) -> HostResolution {
        let labels = name.description.split(separator: ".").map(String.init)
        let answer = try lookup(labels, .srv, until: end)
        var entries: [(priority: UInt16, weight: UInt16, port: UInt16, target: [String])] = []
        for record in answer.records {
            if case .srv(let priority, let weight, let port, let target) = record.data { entries.append((priority, weight, port, target)) }
        }
        // RFC 2782: a single record with target "." says the service is not offered.
        entries.removeAll { $0.target.isEmpty }
        guard !entries.isEmpty else { throw GeoFilterError(.network, "\(name) has no SRV record (no server offers the service)") }
        guard entries.count <= configuration.maximumTargets else {
            throw GeoFilterError(.network, "\(name) has \(entries.count) SRV records; at most \(configuration.maximumTargets) are followed")
        }
        entries.sort { ($0.priority, UInt16.max - $0.weight) < ($1.priority, UInt16.max - $1.weight) }
        var collected: Set<IPAddress> = []
        var targets: [String] = []
        var ttl = answer.ttl
        for entry in entries {
            let targetText = entry.target.joined(separator: ".")
            let host: HostName
            do throws(GeoFilterError) { host = try HostName(parsing: targetText) } catch {
                throw GeoFilterError(.network, "\(name): the SRV target is not a host name: \(error.message)")
            }
            let found: HostResolution
            do throws(GeoFilterError) { found = try addresses(of: host, until: end) } catch {
                throw GeoFilterError(.network, "\(name): SRV target \(error.message)", underlying: error)
            }
            collected.formUnion(found.addresses)
            targets.append("\(host):\(entry.port)")
            ttl = [ttl, found.ttl].compactMap { $0 }.min()
        }
        return HostResolution(addresses: collected.sorted(), targets: targets, aliases: answer.aliases.map { $0.joined(separator: ".") }, ttl: ttl)
    }

    /// The records of `type` for `name`, following CNAMEs (in the answer, or by asking again
    /// for the alias's target), with the aliases followed and the smallest TTL.
    func lookup(_ name: [String], _ type: DNSMessage.RecordType, until end: ContinuousClock.Instant) throws(GeoFilterError) -> (records: [DNSMessage.Record], aliases: [[String]], ttl: UInt32?) {
        var aliases: [[String]] = []
        var current = name
        var ttl: UInt32?
        while true {
            let response = try exchange(current, type, until: end)
            let shown = current.joined(separator: ".")
            switch response.code {
            case .noError: break
            case .nameError:
                throw GeoFilterError(.network, aliases.isEmpty ? "\(shown) does not exist (NXDOMAIN)" : "\(name.joined(separator: ".")) is an alias of \(shown), which does not exist (NXDOMAIN)")
            case .other:
                throw GeoFilterError(.network, "the name server answered \(response.code) for \(shown)")
            }
            // Walk the chain inside this answer: only records owned by the name asked, or by a
            // name a CNAME of the chain points to, are used.
            var records: [DNSMessage.Record] = []
            var followed = Set([current])
            while true {
                let owned = response.answers.filter { $0.owner == current }
                let matching = owned.filter { $0.type == type.rawValue }
                if !matching.isEmpty {
                    records = matching
                    break
                }
                guard let alias = owned.first(where: { $0.type == DNSMessage.RecordType.cname.rawValue }), case .cname(let target) = alias.data else {
                    break
                }
                guard !followed.contains(target) else { throw GeoFilterError(.network, "\(name.joined(separator: ".")): the CNAME chain loops at \(target.joined(separator: "."))") }
                followed.insert(target)
                aliases.append(target)
                guard aliases.count <= configuration.maximumAliases else {
                    throw GeoFilterError(.network, "\(name.joined(separator: ".")): the CNAME chain is longer than \(configuration.maximumAliases) names")
                }
                ttl = min(ttl ?? alias.ttl, alias.ttl)
                current = target
            }
            for record in records { ttl = min(ttl ?? record.ttl, record.ttl) }
            if !records.isEmpty || aliases.isEmpty || current.joined(separator: ".") == shown {
                return (records, aliases, ttl)
            }
            // The chain ended at a name this answer has no records for: ask for it.
            guard (try? HostName(parsing: current.joined(separator: "."))) != nil else {
                throw GeoFilterError(.network, "\(name.joined(separator: ".")): the CNAME target \(current.joined(separator: ".")) is not a host name")
            }
        }
    }

    /// One question, asked of the servers in turn until one answers usably.
    private func exchange(_ name: [String], _ type: DNSMessage.RecordType, until end: ContinuousClock.Instant) throws(GeoFilterError) -> DNSMessage.Response {
        var problems: [String] = []
        for _ in 0..<configuration.attempts {
            for server in configuration.nameservers {
                guard ContinuousClock.now < end else {
                    problems.append("the resolution took longer than \(configuration.maximumDuration), so it was given up")
                    break
                }
                let id = UInt16.random(in: 0...UInt16.max)
                let query = DNSMessage.query(id: id, name: name, type: type)
                let deadline = min(ContinuousClock.now.advanced(by: configuration.timeout), end)
                var parsed: DNSMessage.Response?
                let accept = { (bytes: [UInt8]) -> String? in
                    do throws(DNSMessage.Malformed) {
                        parsed = try DNSMessage.parse(bytes, id: id, name: name, type: type)
                        return nil
                    } catch {
                        return error.description
                    }
                }
                do throws(DNSTransport.Failure) {
                    _ = try DNSTransport.udp(query, to: server, deadline: deadline, accept: accept)
                    if let response = parsed, response.truncated {
                        parsed = nil
                        let tcpDeadline = min(ContinuousClock.now.advanced(by: configuration.timeout), end)
                        _ = try DNSTransport.tcp(query, to: server, deadline: tcpDeadline, accept: accept)
                        if parsed?.truncated == true { throw DNSTransport.Failure(kind: .timeout, message: "\(server) sent a truncated answer over TCP") }
                    }
                } catch {
                    problems.append(error.message)
                    continue
                }
                guard let response = parsed else { continue }
                if case .other = response.code {
                    // SERVFAIL, REFUSED...: another server may do better.
                    problems.append("\(server) answered \(response.code)")
                    if server == configuration.nameservers.last { return response }
                    continue
                }
                return response
            }
        }
        let shown = name.joined(separator: ".")
        let typeName = type == .a ? "A" : type == .aaaa ? "AAAA" : type == .srv ? "SRV" : "\(type.rawValue)"
        throw GeoFilterError(.network, "no usable answer for \(shown) \(typeName): \(problems.last ?? "no name server")")
    }
}
