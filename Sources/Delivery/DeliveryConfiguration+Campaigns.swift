import ConnectorCore
import Foundation

extension DeliveryConfiguration {
    /// What stops `campaign` from being sent with this configuration and `adapters`: a
    /// channel no adapter renders (a misspelt `emial`, or a package's channel whose
    /// adapter the running `connector` does not register), one no provider carries, or
    /// content its adapter's ``ChannelAdapter/check(_:)`` refuses.
    /// Checked where campaigns are loaded and saved, so the problem shows then, not at send
    /// time; `file` names the campaign's source in the errors.
    public func problems(sending campaign: Campaign, adapters: AdapterRegistry, file: String) -> [CampaignDefinitionError] {
        var problems: [CampaignDefinitionError] = []
        for (index, channel) in campaign.channels.enumerated() {
            let path = "channels[\(index)]"
            guard let adapter = adapters.adapter(for: channel) else {
                let extra = adapters.channels.filter { !$0.isBuiltIn }.map(\.rawValue)
                let known = Channel.builtInNames + (extra.isEmpty ? "" : "; added by this connector: " + extra.joined(separator: ", "))
                problems.append(CampaignDefinitionError(
                    file: file, path: path,
                    message: "no adapter renders '\(channel.rawValue)' (built in: \(known)); a package's channel needs the connector executable that registers its adapter (docs/custom-adapters.md)"))
                continue
            }
            if routes.routes[channel]?.isEmpty ?? true {
                problems.append(CampaignDefinitionError(
                    file: file, path: path, message: "no provider is configured for \(channel.rawValue): add one under providers.\(channel.rawValue)"))
            }
            if let content = campaign.messages[channel] {
                do {
                    try adapter.check(content)
                } catch {
                    let place = "messages.\(channel.rawValue)"
                    switch error {
                    case .failed(let field, let message):
                        problems.append(CampaignDefinitionError(file: file, path: field.isEmpty ? place : "\(place).\(field)", message: message))
                    case .aborted:
                        problems.append(CampaignDefinitionError(file: file, path: place, message: "\(error)"))
                    }
                }
            }
        }
        return problems
    }

    /// The channels configured under `providers:` that no adapter in `adapters` renders
    /// (a misspelt `emial:`, or a package's channel without its adapter), sorted.
    public func unrenderedChannels(adapters: AdapterRegistry) -> [Channel] {
        routes.routes.keys.filter { adapters.adapter(for: $0) == nil }.sorted()
    }
}
