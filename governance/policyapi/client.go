package policyapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/meshgate/meshgate/governance"
)

// Client calls the policy API of a node.
type Client struct {
	// BaseURL is the node's HTTP address, e.g. http://127.0.0.1:8088.
	BaseURL string
	// User and Password authenticate with Basic auth; Token (if set) is sent as a bearer token.
	User, Password, Token string
	HTTP                  *http.Client
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.User != "":
		req.SetBasicAuth(c.User, c.Password)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/yaml")
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
		var e governance.HTTPError
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg := e.Error
			if len(e.Problems) > 0 && !strings.Contains(msg, e.Problems[0]) {
				msg += "\n  - " + strings.Join(e.Problems, "\n  - ")
			}
			return fmt.Errorf("%s (HTTP %d)", msg, resp.StatusCode)
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// Apply sends a policies document.
func (c *Client) Apply(ctx context.Context, document []byte) (*governance.ApplyResult, error) {
	var res governance.ApplyResult
	return &res, c.do(ctx, http.MethodPut, "/api/v1/policies", document, &res)
}

// List returns the policies the caller may see.
func (c *Client) List(ctx context.Context) ([]PolicyView, error) {
	var out []PolicyView
	return out, c.do(ctx, http.MethodGet, "/api/v1/policies", nil, &out)
}

// Delete removes a policy.
func (c *Client) Delete(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/policies/"+url.PathEscape(name), nil, nil)
}
