package main

// benchCommands are the benchmark subcommands (bench tpch, bench scan).
func benchCommands() map[string]command { return map[string]command{} }
