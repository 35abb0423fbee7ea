import Testing

@testable import GeoFilterCore

/// The digests come from swift-crypto; known vectors (FIPS 180-4, RFC 1321) pin the wrappers.
@Suite struct HashTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256(text: String, expected: String) {
        #expect(SHA256.hex(SHA256.hash(Array(text.utf8))) == expected)
        var hasher = SHA256()
        for character in text { hasher.update(String(character)) }
        #expect(SHA256.hex(hasher.finalize()) == expected)
    }

    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"), ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
    ])
    func md5(text: String, expected: String) {
        #expect(MD5.hex(Array(text.utf8)) == expected)
    }
}
