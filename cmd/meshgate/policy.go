package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/meshgate/meshgate/governance"
	"github.com/meshgate/meshgate/governance/policyapi"
)

func runPolicy(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: meshgate policy apply -f FILE | list | delete NAME [--http URL --user U --password P | --token T]")
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("policy "+sub, flag.ContinueOnError)
	base := fs.String("http", "http://127.0.0.1:8088", "the node's HTTP address")
	user := fs.String("user", "", "user name")
	password := fs.String("password", os.Getenv("MESHGATE_PASSWORD"), "password (default $MESHGATE_PASSWORD)")
	token := fs.String("token", "", "bearer token instead of a user name and password")
	file := fs.String("f", "", "policies file (apply)")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	c := &policyapi.Client{BaseURL: *base, User: *user, Password: *password, Token: *token}
	switch sub {
	case "apply":
		if *file == "" {
			return fmt.Errorf("policy apply needs -f FILE")
		}
		doc, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		res, err := c.Apply(ctx, doc)
		if err != nil {
			return err
		}
		fmt.Printf("created: %s\nupdated: %s\nunchanged: %s\n", list(res.Created), list(res.Updated), list(res.Unchanged))
	case "list":
		policies, err := c.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tVERSION\tSCOPE\tKIND\tDATASETS\tAPPLIES TO YOU")
		for _, p := range policies {
			scope := p.Scope
			if p.Scope == governance.ScopeDomain {
				scope += ":" + p.Domain
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%v\n", p.Name, p.Version, scope, p.Kind, list(p.Datasets), p.AppliesToYou)
		}
		return tw.Flush()
	case "delete":
		if fs.NArg() != 1 {
			return fmt.Errorf("policy delete needs the policy name")
		}
		if err := c.Delete(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Println("deleted", fs.Arg(0))
	default:
		return fmt.Errorf("unknown policy command %q: use apply, list or delete", sub)
	}
	return nil
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "-"
	}
	return strings.Join(xs, ", ")
}

func runHashPassword(_ context.Context, args []string) error {
	var pw []byte
	if len(args) > 0 {
		pw = []byte(args[0])
	} else if term.IsTerminal(int(os.Stdin.Fd())) {
		fmt.Fprint(os.Stderr, "password: ")
		var err error
		if pw, err = term.ReadPassword(int(os.Stdin.Fd())); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr)
	} else {
		var buf [4096]byte
		n, _ := os.Stdin.Read(buf[:])
		pw = []byte(strings.TrimRight(string(buf[:n]), "\r\n"))
	}
	h, err := governance.HashPassword(string(pw))
	if err != nil {
		return err
	}
	fmt.Println(h)
	return nil
}
