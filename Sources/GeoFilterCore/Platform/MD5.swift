internal import Crypto

/// MD5, only to check the `.md5` files the RIRs and ipdeny publish next to their data; never
/// used for anything that needs collision resistance (swift-crypto's `Insecure.MD5`).
enum MD5 {
    /// The digest of `bytes`, as lower-case hex.
    static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hex(Array(Insecure.MD5.hash(data: bytes)))
    }
}
