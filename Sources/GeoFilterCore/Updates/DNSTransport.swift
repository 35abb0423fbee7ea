#if canImport(Glibc)
import Glibc
#endif

/// One DNS exchange with one server: a UDP datagram (a connected socket, so the kernel drops
/// datagrams from anyone else), or a TCP connection (two-byte length prefix, RFC 1035 4.2.2),
/// each within a deadline. Blocking; used by ``DNSResolver``.
enum DNSTransport {
    /// Why an exchange gave no answer.
    struct Failure: Error, Sendable {
        enum Kind: Sendable {
            /// No acceptable answer before the deadline.
            case timeout
            /// The server refused (ICMP port unreachable, TCP reset) or cannot be reached.
            case unreachable
            /// A system call failed.
            case system
        }
        var kind: Kind
        var message: String
    }

    /// The largest DNS message (the TCP length prefix is 16 bits).
    static let maximumMessage = 65_535

    /// Sends `query` over UDP and returns the first datagram `accept` takes; datagrams it
    /// refuses (another ID, another question, malformed: spoofed or stale) are counted and
    /// the wait goes on until `deadline`.
    ///
    /// - Parameter accept: returns nil to take the datagram, or why it is refused.
    static func udp(
        _ query: [UInt8], to server: DNSResolver.Nameserver, deadline: ContinuousClock.Instant,
        accept: ([UInt8]) -> String?
    ) throws(Failure) -> [UInt8] {
        let descriptor = try openSocket(server, type: SOCK_DGRAM)
        defer { close(descriptor) }
        try connectSocket(descriptor, server, deadline: deadline)
        let sent = query.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == query.count else {
            throw Failure(kind: errno == ECONNREFUSED ? .unreachable : .system, message: "cannot send to \(server): \(String(cString: strerror(errno)))")
        }
        var buffer = [UInt8](repeating: 0, count: maximumMessage)
        var refused: [String] = []
        while true {
            try wait(descriptor, for: Int16(POLLIN), until: deadline, server: server, refused: refused)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNREFUSED { throw Failure(kind: .unreachable, message: "\(server) refused the query (nothing listens there)") }
                throw Failure(kind: .system, message: "cannot receive from \(server): \(String(cString: strerror(errno)))")
            }
            let datagram = Array(buffer[0..<count])
            guard let why = accept(datagram) else { return datagram }
            refused.append(why)
        }
    }

    /// Sends `query` over TCP and returns the answer (which `accept` must take).
    static func tcp(
        _ query: [UInt8], to server: DNSResolver.Nameserver, deadline: ContinuousClock.Instant,
        accept: ([UInt8]) -> String?
    ) throws(Failure) -> [UInt8] {
        let descriptor = try openSocket(server, type: SOCK_STREAM)
        defer { close(descriptor) }
        try connectSocket(descriptor, server, deadline: deadline)
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        var written = 0
        while written < framed.count {
            try wait(descriptor, for: Int16(POLLOUT), until: deadline, server: server, refused: [])
            let count = framed.withUnsafeBytes { send(descriptor, $0.baseAddress! + written, $0.count - written, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Failure(kind: .unreachable, message: "cannot send to \(server) over TCP: \(String(cString: strerror(errno)))")
            }
            written += count
        }
        let prefix = try readExactly(2, from: descriptor, server: server, deadline: deadline)
        let length = Int(prefix[0]) << 8 | Int(prefix[1])
        let message = try readExactly(length, from: descriptor, server: server, deadline: deadline)
        if let why = accept(message) {
            throw Failure(kind: .timeout, message: "\(server) sent no usable answer over TCP (refused: \(why))")
        }
        return message
    }

    private static func readExactly(_ count: Int, from descriptor: Int32, server: DNSResolver.Nameserver, deadline: ContinuousClock.Instant) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            try wait(descriptor, for: Int16(POLLIN), until: deadline, server: server, refused: [])
            let got = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + filled, count - filled, Int32(MSG_DONTWAIT)) }
            if got < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Failure(kind: .unreachable, message: "cannot receive from \(server) over TCP: \(String(cString: strerror(errno)))")
            }
            if got == 0 { throw Failure(kind: .unreachable, message: "\(server) closed the TCP connection inside an answer") }
            filled += got
        }
        return bytes
    }

    /// Waits until `descriptor` is ready for `events` or `deadline` passes.
    private static func wait(
        _ descriptor: Int32, for events: Int16, until deadline: ContinuousClock.Instant, server: DNSResolver.Nameserver, refused: [String]
    ) throws(Failure) {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            let milliseconds = max(0, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            if remaining <= .zero {
                var message = "\(server) sent no usable answer in time"
                if !refused.isEmpty {
                    message += " (\(refused.count) answer\(refused.count == 1 ? "" : "s") refused: \(refused.last!))"
                }
                throw Failure(kind: .timeout, message: message)
            }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let result = poll(&entry, 1, Int32(clamping: max(1, milliseconds)))
            if result < 0 {
                if errno == EINTR { continue }
                throw Failure(kind: .system, message: "poll failed: \(String(cString: strerror(errno)))")
            }
            if result > 0 { return }
        }
    }

    private static func openSocket(_ server: DNSResolver.Nameserver, type: __socket_type) throws(Failure) -> Int32 {
        let family = server.address.family == .ipv4 ? AF_INET : AF_INET6
        let descriptor = socket(family, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else {
            throw Failure(kind: .system, message: "cannot open a socket: \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    /// Connects (UDP: fixes the peer; TCP: the handshake, within the deadline).
    private static func connectSocket(_ descriptor: Int32, _ server: DNSResolver.Nameserver, deadline: ContinuousClock.Instant) throws(Failure) {
        var result: Int32
        switch server.address {
        case .v4(let address):
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = server.port.bigEndian
            socketAddress.sin_addr.s_addr = address.value.bigEndian
            result = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let address):
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = server.port.bigEndian
            withUnsafeMutableBytes(of: &socketAddress.sin6_addr) { raw in
                for (index, byte) in address.bytes.enumerated() { raw[index] = byte }
            }
            result = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        if result == 0 { return }
        guard errno == EINPROGRESS || errno == EINTR else {
            throw Failure(kind: .unreachable, message: "cannot reach \(server): \(String(cString: strerror(errno)))")
        }
        try wait(descriptor, for: Int16(POLLOUT), until: deadline, server: server, refused: [])
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0, error == 0 else {
            throw Failure(kind: .unreachable, message: "cannot connect to \(server): \(String(cString: strerror(error)))")
        }
    }
}
