// Command meshgate is the federated SQL gateway: it runs a node (serve, demo) and is a client
// for one (sql, register, policy, ...). This package only parses flags and wires packages
// together; behaviour lives in the packages.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand. run receives the arguments after the subcommand name.
type command struct {
	summary string
	run     func(ctx context.Context, args []string) error
}

func commands() map[string]command {
	cmds := map[string]command{
		"demo":    {"start a one-node gateway on the embedded demo mesh", runDemo},
		"serve":   {"start a gateway node from a config file", runServe},
		"sql":     {"run SQL against a Flight SQL server (interactive or -e)", runSQL},
		"version": {"print the version", runVersion},
	}
	for name, c := range catalogCommands() {
		cmds[name] = c
	}
	for name, c := range governanceCommands() {
		cmds[name] = c
	}
	for name, c := range benchCommands() {
		cmds[name] = c
	}
	return cmds
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(cmds)
		return 2
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "meshgate: unknown command %q\n\n", args[0])
		usage(cmds)
		return 2
	}
	if err := c.run(ctx, args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "meshgate %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(os.Stderr, "usage: meshgate <command> [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, cmds[n].summary)
	}
}
