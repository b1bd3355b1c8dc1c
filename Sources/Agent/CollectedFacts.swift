import ESUCore
import Foundation

/// Turns a `collect` reply into the facts record the rules read.
public enum CollectedFacts {
    /// - Parameters:
    ///   - host: the inventory name, which replaces the guest's own computer name.
    ///   - collectedAt: the controller's clock; the guest's clock is kept as `guestTime`.
    /// When WMI failed on the guest, the licenses come from the slmgr text it always sends.
    public static func facts(from reply: AgentReply, host: String, collectedAt: Timestamp) throws(AgentError) -> Facts {
        guard let data = reply.data, var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .malformedReply(preview: "'collect' reply has no facts")
        }
        if object["licenses"] == nil || object["licenses"] is NSNull || object["licenseSource"] as? String == "wmi-failed" {
            let evidence = (object["evidence"] as? [String: Any])?["slmgrDlv"] as? String
            guard let text = evidence, !text.isEmpty else {
                throw .malformedReply(preview: "WMI failed on the guest and no slmgr /dlv text came with the facts")
            }
            let licenses = SlmgrParser.parse(text).licenses
            object["licenses"] = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(licenses))) ?? []
            object["licenseSource"] = "slmgr"
        }
        if let guestTime = object["collectedAt"] { object["guestTime"] = guestTime }
        object["host"] = host
        object["collectedAt"] = collectedAt.description
        object["schema"] = object["schema"] ?? Facts.currentSchema
        do {
            let json = try JSONSerialization.data(withJSONObject: object)
            return try Facts.load(json: json)
        } catch let error as FactsError {
            throw .malformedReply(preview: error.description)
        } catch {
            throw .malformedReply(preview: "\(error)")
        }
    }
}
