package catalogapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/meshgate/meshgate/catalog"
	"github.com/meshgate/meshgate/catalog/selfserve"
)

// Client calls the catalog API of a node.
type Client struct {
	// BaseURL is the node's HTTP address, e.g. http://127.0.0.1:8088.
	BaseURL string
	// Token is sent as a bearer token (see Login).
	Token string
	// HTTP is the client used. Default http.DefaultClient.
	HTTP *http.Client
}

// Error is an API error response.
type Error struct {
	Status int
	ErrorBody
}

func (e *Error) Error() string {
	msg := e.HTTPError.Error
	if len(e.Problems) > 0 && !strings.Contains(msg, e.Problems[0]) {
		msg += "\n  - " + strings.Join(e.Problems, "\n  - ")
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
}

func (c *Client) do(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, rd)
	if err != nil {
		return err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("calling %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(data, &e.ErrorBody) != nil || e.HTTPError.Error == "" {
			e.HTTPError.Error = strings.TrimSpace(string(data))
		}
		return e
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	return c.do(ctx, method, path, "application/json", body, out)
}

// Login exchanges a user name and password for a bearer token and keeps it for later calls.
func (c *Client) Login(ctx context.Context, user, password string) error {
	var res LoginResponse
	if err := c.doJSON(ctx, http.MethodPost, "/api/v1/login", LoginRequest{User: user, Password: password}, &res); err != nil {
		return err
	}
	c.Token = res.Token
	return nil
}

// CreateDomain creates a domain (mesh admins).
func (c *Client) CreateDomain(ctx context.Context, d catalog.Domain) (*selfserve.DomainView, error) {
	var out selfserve.DomainView
	return &out, c.doJSON(ctx, http.MethodPost, "/api/v1/domains", DomainRequest{Domain: d}, &out)
}

// UpdateDomain replaces a domain's description, owners and rules.
func (c *Client) UpdateDomain(ctx context.Context, d catalog.Domain, expect *uint64) (*selfserve.DomainView, error) {
	var out selfserve.DomainView
	return &out, c.doJSON(ctx, http.MethodPut, "/api/v1/domains/"+url.PathEscape(d.Name), DomainRequest{Domain: d, ExpectedRevision: expect}, &out)
}

// Domains lists the domains.
func (c *Client) Domains(ctx context.Context) ([]selfserve.DomainView, error) {
	var out []selfserve.DomainView
	return out, c.doJSON(ctx, http.MethodGet, "/api/v1/domains", nil, &out)
}

// AddSource creates a source in a domain.
func (c *Client) AddSource(ctx context.Context, domain string, req SourceRequest) (*selfserve.SourceView, error) {
	var out selfserve.SourceView
	return &out, c.doJSON(ctx, http.MethodPost, "/api/v1/domains/"+url.PathEscape(domain)+"/sources", req, &out)
}

// UpdateSource replaces a source's type and options.
func (c *Client) UpdateSource(ctx context.Context, domain string, req SourceRequest) (*selfserve.SourceView, error) {
	var out selfserve.SourceView
	return &out, c.doJSON(ctx, http.MethodPut, "/api/v1/domains/"+url.PathEscape(domain)+"/sources/"+url.PathEscape(req.Name), req, &out)
}

// Sources lists a domain's sources.
func (c *Client) Sources(ctx context.Context, domain string) ([]selfserve.SourceView, error) {
	var out []selfserve.SourceView
	return out, c.doJSON(ctx, http.MethodGet, "/api/v1/domains/"+url.PathEscape(domain)+"/sources", nil, &out)
}

// TestSource tests a source's connection.
func (c *Client) TestSource(ctx context.Context, domain, name string) (*selfserve.SourceView, error) {
	var out selfserve.SourceView
	return &out, c.doJSON(ctx, http.MethodPost, "/api/v1/domains/"+url.PathEscape(domain)+"/sources/"+url.PathEscape(name)+"/test", nil, &out)
}

// DeleteSource removes a source.
func (c *Client) DeleteSource(ctx context.Context, domain, name string) error {
	return c.doJSON(ctx, http.MethodDelete, "/api/v1/domains/"+url.PathEscape(domain)+"/sources/"+url.PathEscape(name), nil, nil)
}

// Register sends an ODCS contract (YAML or JSON).
func (c *Client) Register(ctx context.Context, contract []byte, dryRun bool) (*selfserve.RegisterResult, error) {
	var out selfserve.RegisterResult
	path := "/api/v1/products"
	if dryRun {
		path += "?dry_run=true"
	}
	ct := "application/yaml"
	if t := bytes.TrimSpace(contract); len(t) > 0 && t[0] == '{' {
		ct = "application/json"
	}
	return &out, c.do(ctx, http.MethodPost, path, ct, contract, &out)
}

// Search finds products by text (every product when text is empty).
func (c *Client) Search(ctx context.Context, text string) ([]selfserve.ProductView, error) {
	var out []selfserve.ProductView
	return out, c.doJSON(ctx, http.MethodGet, "/api/v1/products?q="+url.QueryEscape(text), nil, &out)
}

// Product returns one product with its versions.
func (c *Client) Product(ctx context.Context, domain, product string) (*selfserve.ProductView, error) {
	var out selfserve.ProductView
	return &out, c.doJSON(ctx, http.MethodGet, "/api/v1/products/"+url.PathEscape(domain)+"/"+url.PathEscape(product), nil, &out)
}

// Deprecate deprecates a version, with an optional sunset date and note.
func (c *Client) Deprecate(ctx context.Context, domain, product, version string, req LifecycleRequest) (*selfserve.ProductView, error) {
	var out selfserve.ProductView
	return &out, c.doJSON(ctx, http.MethodPost, fmt.Sprintf("/api/v1/products/%s/%s/versions/%s/deprecate", url.PathEscape(domain), url.PathEscape(product), url.PathEscape(version)), req, &out)
}

// Retire stops serving a version.
func (c *Client) Retire(ctx context.Context, domain, product, version string) (*selfserve.ProductView, error) {
	var out selfserve.ProductView
	return &out, c.doJSON(ctx, http.MethodPost, fmt.Sprintf("/api/v1/products/%s/%s/versions/%s/retire", url.PathEscape(domain), url.PathEscape(product), url.PathEscape(version)), LifecycleRequest{}, &out)
}

// Check runs a product's quality rules (version empty: the newest served version).
func (c *Client) Check(ctx context.Context, domain, product, version string) (*CheckResponse, error) {
	var out CheckResponse
	path := fmt.Sprintf("/api/v1/products/%s/%s/check", url.PathEscape(domain), url.PathEscape(product))
	if version != "" {
		path += "?version=" + url.QueryEscape(version)
	}
	return &out, c.doJSON(ctx, http.MethodPost, path, nil, &out)
}

// Describe returns a dataset's contract, schema and live status.
func (c *Client) Describe(ctx context.Context, domain, dataset string) (*selfserve.DatasetView, error) {
	var out selfserve.DatasetView
	return &out, c.doJSON(ctx, http.MethodGet, "/api/v1/datasets/"+url.PathEscape(domain)+"/"+url.PathEscape(dataset), nil, &out)
}
