/// A password or passphrase. Every textual form is redacted, so a secret that ends up in an
/// interpolated string, a log line or a `dump` shows nothing.
public struct Secret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    fileprivate let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "Secret(<redacted>)" }
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// Only libssh2 calls inside this module see the clear text.
    func withCString<R>(_ body: (UnsafePointer<CChar>, Int) throws -> R) rethrows -> R {
        try value.withCString { try body($0, value.utf8.count) }
    }
}
