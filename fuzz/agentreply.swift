import Foundation

let verbs: [AgentVerb] = [
    .collect(esuActivationIds: [], windowsApplicationId: try! ActivationID("55c92734-d682-4d71-983e-d6ec3f16059f")),
    .activate(try! ActivationID("c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(bytes: data, count: size)
    for verb in verbs {
        for status: Int32? in [0, nil] {
            guard let reply = try? AgentReply.parse(stdout: bytes, exitStatus: status, expecting: verb) else { continue }
            if case .collect = verb {
                _ = try? CollectedFacts.facts(from: reply, host: "fuzz", collectedAt: Timestamp(Date(timeIntervalSince1970: 0)))
            }
        }
    }
    return 0
}
