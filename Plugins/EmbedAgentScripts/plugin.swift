import Foundation
import PackagePlugin

/// Embeds agent-scripts/*.ps1 into the target that uses this plugin (see embed-agent-scripts).
@main
struct EmbedAgentScripts: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let scripts = context.package.directoryURL.appending(path: "agent-scripts")
        let files = [("agent", "esuctl-agent.ps1"), ("bootstrap", "bootstrap.ps1")]
        let inputs = files.map { scripts.appending(path: $0.1) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAgentScripts.swift")
        return [.buildCommand(
            displayName: "Embedding agent scripts",
            executable: try context.tool(named: "embed-agent-scripts").url,
            arguments: [output.path] + zip(files, inputs).map { "\($0.0.0)=\($0.1.path)" },
            inputFiles: inputs,
            outputFiles: [output]
        )]
    }
}
