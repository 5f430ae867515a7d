package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/meshgate/meshgate/flight/client"
)

// envPassword lets scripts pass the password without putting it on the command line.
const envPassword = "MESHGATE_PASSWORD"

// repeatedFlag collects every -e.
type repeatedFlag []string

func (r *repeatedFlag) String() string     { return strings.Join(*r, "; ") }
func (r *repeatedFlag) Set(v string) error { *r = append(*r, v); return nil }

// runSQL is `meshgate sql`: an interactive shell, or -e/-f to run statements and exit with
// an error when one fails.
func runSQL(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sql", flag.ContinueOnError)
	addr := fs.String("addr", client.DefaultAddr, "Flight SQL address of a meshgate node (host:port)")
	user := fs.String("user", "", "user name")
	password := fs.String("password", "", "password (default $"+envPassword+"; asked for when interactive)")
	useTLS := fs.Bool("tls", false, "connect with TLS")
	skipVerify := fs.Bool("insecure-skip-verify", false, "with --tls, accept any server certificate (test setups only)")
	format := fs.String("format", string(client.FormatTable), "output format: table, csv or json")
	file := fs.String("f", "", "run the statements of a script file and exit")
	var execute repeatedFlag
	fs.Var(&execute, "e", "run SQL and exit; several ';'-separated statements and repeated -e are allowed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: quote SQL and pass it with -e", fs.Arg(0))
	}
	outFormat, err := client.ParseFormat(*format)
	if err != nil {
		return err
	}
	if len(execute) > 0 && *file != "" {
		return errors.New("use either -e or -f, not both")
	}

	var in io.Reader = os.Stdin
	switch {
	case len(execute) > 0:
		in = strings.NewReader(strings.Join(execute, ";\n"))
	case *file != "":
		f, err := os.Open(*file)
		if err != nil {
			return fmt.Errorf("opening script: %w", err)
		}
		defer f.Close()
		in = f
	}
	stdinIsTerminal := term.IsTerminal(int(os.Stdin.Fd()))
	interactive := len(execute) == 0 && *file == "" && stdinIsTerminal

	pw := *password
	if pw == "" {
		pw = os.Getenv(envPassword)
	}
	if *user != "" && pw == "" {
		if !stdinIsTerminal {
			return fmt.Errorf("no password for %s: pass --password or set %s", *user, envPassword)
		}
		fmt.Fprintf(os.Stderr, "Password for %s: ", *user)
		entered, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return fmt.Errorf("reading password: %w", err)
		}
		pw = string(entered)
	}

	cl, err := client.Dial(ctx, client.Options{Addr: *addr, User: *user, Password: pw, TLS: *useTLS, InsecureSkipVerify: *skipVerify})
	if err != nil {
		return fmt.Errorf("connecting to %s: %s", *addr, client.FriendlyError(err))
	}
	defer cl.Close()

	shellCtx := ctx
	if interactive {
		// Ctrl-C cancels the running statement, not the session; \q ends it.
		shellCtx = context.WithoutCancel(ctx)
	}
	err = client.RunShell(shellCtx, client.ShellOptions{
		Client: cl, Format: outFormat, In: in, Out: os.Stdout, Err: os.Stderr,
		Interactive: interactive, HistoryFile: client.DefaultHistoryFile(),
	})
	var failed *client.StatementError
	if errors.As(err, &failed) {
		// The shell has printed the error; the exit status is what scripts need.
		return errors.New("a statement failed")
	}
	return err
}
