import Foundation

/// The answer of Microsoft's phone activation: 48 digits, read out as blocks A–H of six.
/// Spaces and hyphens between them are accepted and dropped.
public struct ConfirmationID: Equatable, Sendable, CustomStringConvertible {
    public let digits: String

    public init(_ text: String) throws(DomainError) {
        let digits = text.filter { $0 != " " && $0 != "-" }
        guard digits.count == 48, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalidConfirmationID(String(text.prefix(80)))
        }
        self.digits = digits
    }

    /// The eight blocks of six digits, A to H.
    public var blocks: [String] { OfflineActivation.chunks(digits, of: 6) }
    public var description: String { blocks.joined(separator: "-") }
}

/// Pure helpers for phone activation (`slmgr /dti`, `slmgr /atp`).
public enum OfflineActivation {
    /// An installation ID (63 digits on Windows Server 2012 / 2012 R2) in the blocks of seven
    /// the phone activation asks for; nil when `text` is not all digits or not a multiple of 7.
    public static func installationIDBlocks(_ text: String) -> [String]? {
        guard !text.isEmpty, text.count % 7 == 0, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return chunks(text, of: 7)
    }

    static func chunks(_ s: String, of n: Int) -> [String] {
        var out: [String] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: n, limitedBy: s.endIndex) ?? s.endIndex
            out.append(String(s[i..<j]))
            i = j
        }
        return out
    }

    /// What the operator does with the installation ID, step by step.
    public static func phoneInstructions(host: String, year: ESUYear, activationId: ActivationID, blocks: [String]) -> String {
        let numbered = blocks.enumerated().map { "  \($0.offset + 1): \($0.element)" }.joined(separator: "\n")
        return """
        \(host): ESU \(year) (Activation ID \(activationId)) — installation ID, in \(blocks.count) blocks:
        \(numbered)

        Phone activation:
          1. Find the Microsoft Licensing Activation Centre number for your country: run `slui 4` on
             the guest's console (or any Windows machine) and pick the country.
          2. Call, choose the product (Windows Server 2012 / 2012 R2 Extended Security Updates) and read
             out the \(blocks.count) blocks above when asked.
          3. Write down the confirmation ID you are given: 8 blocks (A–H) of 6 digits.
          4. Deposit it and check that ESU \(year) is Licensed:
             esuctl activate-offline -i INVENTORY --limit \(host) --year \(year.number) --confirmation-id AAAAAA-BBBBBB-CCCCCC-DDDDDD-EEEEEE-FFFFFF-GGGGGG-HHHHHH
        The installation ID changes if the key is reinstalled: use it the same day.
        """
    }
}
