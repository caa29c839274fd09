import ConnectorCommandLine

// The `connector` tool with the built-in channels and provider kinds; a package of
// channel adapters builds its own by passing `ConnectorExtensions` (docs/custom-adapters.md).
await ConnectorCommandLine.main()
