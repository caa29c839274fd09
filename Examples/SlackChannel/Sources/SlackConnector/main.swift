import ConnectorCommandLine
import SlackChannel

// `slack-connector`: the `connector` tool (serve, check, render, replay, ...) with the
// Slack channel and the `slack` provider kind next to the built-in ones.
await ConnectorCommandLine.main(extensions: Slack.extensions)
