package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/catalogapi"
)

// catalogCommands are the catalog CLI subcommands.
func catalogCommands() map[string]command {
	return map[string]command{
		"register": {"register a data product version from an ODCS contract (register -f contract.yaml)", runRegister},
		"source":   {"add, update, test, list or delete a domain's sources (source add DOMAIN NAME --type T --option k=v ...)", runSource},
		"products": {"search data products by name, description, tag or column (products [TEXT])", runProducts},
		"describe": {"show a dataset's contract, owner, SLA, schema and live status (describe domain.dataset)", runDescribe},
		"check":    {"run a product's quality rules (check domain.product [--version V])", runCheck},
		"domain":   {"create, update or list domains (domain create NAME --owner U ... | list)", runDomain},
		"product":  {"deprecate or retire a product version (product deprecate domain.product VERSION --sunset DATE | retire ...)", runProductLifecycle},
	}
}

// apiFlags are the connection flags every catalog command takes.
type apiFlags struct {
	base, user, password, token *string
	out                         io.Writer
}

func addAPIFlags(fs *flag.FlagSet) *apiFlags {
	return &apiFlags{
		base:     fs.String("http", "http://127.0.0.1:8088", "the node's HTTP address"),
		user:     fs.String("user", "", "user name (logs in for a bearer token)"),
		password: fs.String("password", "", "password (default $"+envPassword+")"),
		token:    fs.String("token", "", "bearer token instead of a user name and password"),
		out:      os.Stdout,
	}
}

// client logs in when a user is given, so every call carries a bearer token.
func (f *apiFlags) client(ctx context.Context) (*catalogapi.Client, error) {
	c := &catalogapi.Client{BaseURL: *f.base, Token: *f.token}
	if c.Token == "" && *f.user != "" {
		pw := *f.password
		if pw == "" {
			pw = os.Getenv(envPassword)
		}
		if pw == "" {
			return nil, fmt.Errorf("no password for %s: pass --password or set %s", *f.user, envPassword)
		}
		if err := c.Login(ctx, *f.user, pw); err != nil {
			return nil, fmt.Errorf("logging in as %s: %w", *f.user, err)
		}
	}
	if c.Token == "" {
		return nil, errors.New("the catalog API needs credentials: pass --user (and --password or $" + envPassword + ") or --token")
	}
	return c, nil
}

// parseInterspersed parses flags that may come before or after positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func splitName(s, what string) (string, string, error) {
	d, n, ok := strings.Cut(s, ".")
	n = strings.Trim(n, `"`)
	if !ok || d == "" || n == "" {
		return "", "", fmt.Errorf("%q is not a %s name: write domain.name", s, what)
	}
	return d, n, nil
}

func runRegister(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("register", flag.ContinueOnError)
	f := addAPIFlags(fs)
	file := fs.String("f", "", "ODCS v3 contract file, YAML or JSON (- for stdin)")
	dryRun := fs.Bool("dry-run", false, "validate the contract without registering it")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("register needs -f contract.yaml")
	}
	var doc []byte
	var err error
	if *file == "-" {
		doc, err = io.ReadAll(os.Stdin)
	} else {
		doc, err = os.ReadFile(*file)
	}
	if err != nil {
		return err
	}
	c, err := f.client(ctx)
	if err != nil {
		return err
	}
	res, err := c.Register(ctx, doc, *dryRun)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	switch {
	case res.DryRun:
		fmt.Fprintf(f.out, "%s %s is valid (not registered: --dry-run)\n", res.Product, res.Version)
	case res.Unchanged:
		fmt.Fprintf(f.out, "%s %s is already registered (unchanged)\n", res.Product, res.Version)
	default:
		fmt.Fprintf(f.out, "registered %s %s (%s, revision %d)\n", res.Product, res.Version, res.Status, res.Revision)
	}
	if len(res.Datasets) > 0 {
		fmt.Fprintf(f.out, "served as: %s\n", strings.Join(res.Datasets, ", "))
	}
	return nil
}

// optionsFlag collects --option key=value.
type optionsFlag map[string]string

func (o optionsFlag) String() string { return catalog.PublicOptions(o) }
func (o optionsFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("option %q must be key=value (secrets as key=env:NAME or key=file:/path)", v)
	}
	o[k] = val
	return nil
}

func runSource(ctx context.Context, args []string) error {
	usage := "usage: meshgate source add|update DOMAIN NAME --type TYPE [--option key=value ...] [--allow-unreachable] | test DOMAIN NAME | list DOMAIN | delete DOMAIN NAME"
	if len(args) == 0 {
		return errors.New(usage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("source "+sub, flag.ContinueOnError)
	f := addAPIFlags(fs)
	typ := fs.String("type", "", "source type: postgres, mysql, files")
	allow := fs.Bool("allow-unreachable", false, "save the source even if its connection test fails")
	opts := optionsFlag{}
	fs.Var(opts, "option", "source option key=value (repeatable); secrets as env:NAME or file:/path")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	need := map[string]int{"add": 2, "update": 2, "test": 2, "delete": 2, "list": 1}
	n, ok := need[sub]
	if !ok {
		return fmt.Errorf("unknown source command %q; %s", sub, usage)
	}
	if len(pos) != n {
		return errors.New(usage)
	}
	c, err := f.client(ctx)
	if err != nil {
		return err
	}
	switch sub {
	case "add", "update":
		if *typ == "" {
			return fmt.Errorf("source %s needs --type (postgres, mysql, files)", sub)
		}
		req := catalogapi.SourceRequest{Name: pos[1], Type: *typ, Options: opts, AllowUnreachable: *allow}
		var v any
		if sub == "add" {
			v, err = c.AddSource(ctx, pos[0], req)
		} else {
			v, err = c.UpdateSource(ctx, pos[0], req)
		}
		if err != nil {
			return err
		}
		return printSource(f.out, v)
	case "test":
		v, err := c.TestSource(ctx, pos[0], pos[1])
		if err != nil {
			return err
		}
		if v.Reachable != nil && !*v.Reachable {
			return fmt.Errorf("source %s/%s is unreachable: %s", pos[0], pos[1], v.TestError)
		}
		fmt.Fprintf(f.out, "source %s/%s is reachable\n", pos[0], pos[1])
	case "delete":
		if err := c.DeleteSource(ctx, pos[0], pos[1]); err != nil {
			return err
		}
		fmt.Fprintf(f.out, "deleted source %s/%s\n", pos[0], pos[1])
	case "list":
		vs, err := c.Sources(ctx, pos[0])
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(f.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SOURCE\tTYPE\tOPTIONS\tREVISION")
		for _, s := range vs {
			fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%d\n", s.Domain, s.Name, s.Type, catalog.PublicOptions(s.Options), s.Revision)
		}
		return tw.Flush()
	}
	return nil
}

func printSource(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func runProducts(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("products", flag.ContinueOnError)
	f := addAPIFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	c, err := f.client(ctx)
	if err != nil {
		return err
	}
	ps, err := c.Search(ctx, strings.Join(pos, " "))
	if err != nil {
		return err
	}
	if *asJSON {
		return printSource(f.out, ps)
	}
	if len(ps) == 0 {
		fmt.Fprintln(f.out, "no data product matches")
		return nil
	}
	tw := tabwriter.NewWriter(f.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRODUCT\tVERSION\tSTATUS\tOWNER\tDATASETS\tQUALITY\tDESCRIPTION")
	for _, p := range ps {
		q := "-"
		if p.Quality != nil {
			q = p.Quality.Status()
		}
		fmt.Fprintf(tw, "%s.%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Domain, p.Product, p.Version, p.Status, p.Owner, strings.Join(p.Datasets, ","), q, truncate(p.Description, 60))
		if len(pos) > 0 && len(p.Matches) > 0 {
			fmt.Fprintf(tw, "  matched: %s\t\t\t\t\t\t\n", strings.Join(p.Matches, "; "))
		}
	}
	return tw.Flush()
}

func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func runDescribe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("describe", flag.ContinueOnError)
	f := addAPIFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: meshgate describe domain.dataset (or domain.\"dataset@v1\")")
	}
	domain, name, err := splitName(pos[0], "dataset")
	if err != nil {
		return err
	}
	c, err := f.client(ctx)
	if err != nil {
		return err
	}
	v, err := c.Describe(ctx, domain, name)
	if err != nil {
		return err
	}
	if *asJSON {
		return printSource(f.out, v)
	}
	w := f.out
	fmt.Fprintf(w, "%s\n  %s\n\n", v.Name, v.Description)
	fmt.Fprintf(w, "product:  %s.%s %s (%s)\n", v.Domain, v.Product, v.Version, v.Status)
	if !v.Sunset.IsZero() || v.DeprecationNote != "" {
		fmt.Fprintf(w, "sunset:   %s %s\n", v.Sunset.Format("2006-01-02"), v.DeprecationNote)
	}
	fmt.Fprintf(w, "owner:    %s\n", v.Owner)
	fmt.Fprintf(w, "source:   %s (%s)\n", v.Source, v.Object)
	if len(v.Tags) > 0 {
		fmt.Fprintf(w, "tags:     %s\n", strings.Join(v.Tags, ", "))
	}
	var sla []string
	for _, s := range v.SLA {
		sla = append(sla, strings.TrimSpace(fmt.Sprintf("%s=%s %s", s.Property, s.Value, s.Unit)))
	}
	if len(sla) > 0 {
		fmt.Fprintf(w, "SLA:      %s\n", strings.Join(sla, ", "))
	}
	live := "reachable"
	if !v.Live.Reachable {
		live = "unreachable: " + v.Live.Error
	} else if v.Live.Rows >= 0 {
		live += fmt.Sprintf(", about %.0f rows", v.Live.Rows)
	}
	fmt.Fprintf(w, "live:     %s\n", live)
	if v.Quality != nil {
		fmt.Fprintf(w, "quality:  %s (%s) at %s\n", v.Quality.Status(), v.Quality.Summary(), v.Quality.CheckedAt.Format("2006-01-02 15:04:05Z07:00"))
	}
	for _, warn := range v.Warnings {
		fmt.Fprintf(w, "WARNING:  %s\n", warn)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COLUMN\tTYPE\tNULLABLE\tKEY\tCLASSIFICATION\tDESCRIPTION")
	for _, col := range v.Columns {
		key := ""
		if col.PrimaryKey {
			key = "PK"
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\t%s\n", col.Name, col.Type, !col.Required, key, col.Classification, col.Description)
	}
	return tw.Flush()
}

func runCheck(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	f := addAPIFlags(fs)
	version := fs.String("version", "", "version to check (default: the newest served version)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: meshgate check domain.product [--version V]")
	}
	domain, product, err := splitName(pos[0], "product")
	if err != nil {
		return err
	}
	c, err := f.client(ctx)
	if err != nil {
		return err
	}
	res, err := c.Check(ctx, domain, product, *version)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := printSource(f.out, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(f.out, "%s %s: %s (%s)\n", res.Product, res.Version, res.Status, res.Summary)
		tw := tabwriter.NewWriter(f.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "STATUS\tRULE\tDATASET\tCOLUMN\tMEASURED\tEXPECTED\tMESSAGE")
		for _, r := range res.Rules {
			m := "-"
			if r.Measured != nil {
				m = strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", *r.Measured), "0"), ".")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Status, r.Name, r.Dataset, r.Column, m, r.Expectation, r.Message)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if res.Status != catalog.QualityPassed {
		return fmt.Errorf("quality check of %s %s: %s", res.Product, res.Version, res.Summary)
	}
	return nil
}

// ownersFlag collects repeated --owner.
type ownersFlag []string

func (o *ownersFlag) String() string     { return strings.Join(*o, ",") }
func (o *ownersFlag) Set(v string) error { *o = append(*o, v); return nil }

func runDomain(ctx context.Context, args []string) error {
	usage := "usage: meshgate domain create|update NAME --owner USER|group:NAME ... [--description TEXT] | list"
	if len(args) == 0 {
		return errors.New(usage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("domain "+sub, flag.ContinueOnError)
	f := addAPIFlags(fs)
	var owners ownersFlag
	fs.Var(&owners, "owner", "owner: a user name or group:NAME (repeatable)")
	desc := fs.String("description", "", "what the domain is about")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	c, err := f.client(ctx)
	if err != nil {
		return err
	}
	switch sub {
	case "create", "update":
		if len(pos) != 1 {
			return errors.New(usage)
		}
		d := catalog.Domain{Name: pos[0], Description: *desc, Owners: owners}
		var v any
		if sub == "create" {
			v, err = c.CreateDomain(ctx, d)
		} else {
			v, err = c.UpdateDomain(ctx, d, nil)
		}
		if err != nil {
			return err
		}
		return printSource(f.out, v)
	case "list":
		ds, err := c.Domains(ctx)
		if err != nil {
			return err
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i].Name < ds[j].Name })
		tw := tabwriter.NewWriter(f.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DOMAIN\tOWNERS\tDESCRIPTION")
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Name, strings.Join(d.Owners, ","), d.Description)
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown domain command %q; %s", sub, usage)
}

func runProductLifecycle(ctx context.Context, args []string) error {
	usage := "usage: meshgate product deprecate domain.product VERSION [--sunset 2027-01-31] [--note TEXT] | retire domain.product VERSION"
	if len(args) == 0 {
		return errors.New(usage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("product "+sub, flag.ContinueOnError)
	f := addAPIFlags(fs)
	sunset := fs.String("sunset", "", "deprecate: date the version is retired (YYYY-MM-DD)")
	note := fs.String("note", "", "deprecate: what consumers should use instead")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return errors.New(usage)
	}
	domain, product, err := splitName(pos[0], "product")
	if err != nil {
		return err
	}
	c, err := f.client(ctx)
	if err != nil {
		return err
	}
	switch sub {
	case "deprecate":
		_, err = c.Deprecate(ctx, domain, product, pos[1], catalogapi.LifecycleRequest{Sunset: *sunset, Note: *note})
	case "retire":
		_, err = c.Retire(ctx, domain, product, pos[1])
	default:
		return fmt.Errorf("unknown product command %q; %s", sub, usage)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(f.out, "%sd %s.%s %s\n", sub, domain, product, pos[1])
	return nil
}
