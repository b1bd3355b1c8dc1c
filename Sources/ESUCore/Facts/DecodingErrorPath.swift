import Foundation

extension DecodingError {
    /// The JSON path of the field at fault (`years[1].activationId`) and what is wrong with it,
    /// so that a malformed catalog or facts file can be fixed without reading a stack of types.
    public var fieldAndProblem: (field: String, problem: String) {
        func path(_ keys: [CodingKey]) -> String {
            var out = ""
            for k in keys {
                if let i = k.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + k.stringValue }
            }
            return out.isEmpty ? "(document)" : out
        }
        switch self {
        case .keyNotFound(let key, let ctx): return (path(ctx.codingPath + [key]), "missing")
        case .typeMismatch(let type, let ctx): return (path(ctx.codingPath), "wrong type (expected \(type))")
        case .valueNotFound(let type, let ctx): return (path(ctx.codingPath), "null (expected \(type))")
        case .dataCorrupted(let ctx):
            return (path(ctx.codingPath), ctx.codingPath.isEmpty ? "not valid JSON" : ctx.debugDescription)
        @unknown default: return ("(document)", "\(self)")
        }
    }
}
