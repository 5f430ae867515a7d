package main

// governanceCommands are the governance CLI subcommands (policy).
func governanceCommands() map[string]command { return map[string]command{} }
