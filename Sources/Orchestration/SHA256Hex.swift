import Digest
import Foundation

enum SHA256Hex {
    static func of(_ data: Data) -> String { SHA256.hex(data) }
}
