import Foundation

/// A value given to esuctl that does not have the shape its type needs.
/// Messages never repeat a product key: only its masked form.
public enum DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not `KB` followed by 6–7 digits.
    case invalidKB(String)
    /// Not a GUID such as `c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4`.
    case invalidActivationID(String)
    /// Not five groups of five product-key characters (shown masked).
    case invalidProductKey(masked: String)
    /// Not `major.minor.build`.
    case invalidOSVersion(String)
    /// Not an ESU year number.
    case invalidESUYear(String)
    /// Not a `YYYY-MM-DD` date.
    case invalidDate(String)
    /// Not the 48 digits of a phone-activation confirmation ID.
    case invalidConfirmationID(String)

    public var description: String {
        switch self {
        case .invalidKB(let s):
            return "'\(s)' is not a KB number; write it as KB followed by digits, e.g. KB5017220"
        case .invalidActivationID(let s):
            return "'\(s)' is not an Activation ID; expected a GUID such as c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4"
        case .invalidProductKey(let masked):
            return "product key \(masked) is malformed; expected five groups of five characters (XXXXX-XXXXX-XXXXX-XXXXX-XXXXX) from the product-key alphabet"
        case .invalidOSVersion(let s):
            return "'\(s)' is not a Windows version; expected major.minor.build such as 6.3.9600"
        case .invalidESUYear(let s):
            return "'\(s)' is not an ESU year; expected a year number such as 1, 2 or 3"
        case .invalidDate(let s):
            return "'\(s)' is not a date; expected YYYY-MM-DD (ISO 8601)"
        case .invalidConfirmationID(let s):
            return "'\(s)' is not a confirmation ID; expected the 48 digits the phone activation gives (8 blocks of 6, spaces or hyphens allowed)"
        }
    }
}
