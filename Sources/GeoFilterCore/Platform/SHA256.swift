internal import Crypto

/// SHA-256 for snapshot checksums, cache files and plan digests: a thin wrapper over
/// swift-crypto's implementation, so call sites hash byte arrays and text and get bytes or hex.
struct SHA256 {
    private var hasher = Crypto.SHA256()

    init() {}

    /// Adds bytes to the message.
    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }

    /// Adds the UTF-8 bytes of `text` to the message.
    mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    /// The 32-byte digest of everything added.
    func finalize() -> [UInt8] { Array(hasher.finalize()) }

    /// The digest of `bytes`.
    static func hash(_ bytes: [UInt8]) -> [UInt8] { Array(Crypto.SHA256.hash(data: bytes)) }

    /// A digest as lower-case hex.
    static func hex(_ digest: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(digest.count * 2)
        let digits = Array("0123456789abcdef".utf8)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
