package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultHost is the daemon address used when neither New's argument nor
// DOCKER_HOST names one.
const DefaultHost = "unix:///var/run/docker.sock"

const (
	// fallbackAPIVersion is used when /_ping does not report a version.
	fallbackAPIVersion = "1.41"
	// maxAPIVersion is the newest Engine API version this client speaks;
	// a newer daemon is addressed with this version.
	maxAPIVersion = "1.47"
)

// Client is a minimal Docker Engine API client. It is safe for concurrent
// use.
type Client struct {
	host string // normalized address, for messages
	base string // URL prefix: "http://docker" or "http://host:port"
	hc   *http.Client

	mu      sync.Mutex
	version string // negotiated API version, "" until the first ping
}

// New returns a client for the daemon at host: "unix:///path/to.sock",
// "tcp://host:port" (plain HTTP) or a bare socket path. An empty host means
// $DOCKER_HOST, then DefaultHost. New does not contact the daemon.
func New(host string) (*Client, error) {
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = DefaultHost
	}
	if strings.HasPrefix(host, "/") {
		host = "unix://" + host
	}
	c := &Client{}
	// A socket path is taken verbatim: url.Parse would cut it at '#' or '?'.
	if path, ok := strings.CutPrefix(host, "unix://"); ok {
		if path == "" {
			return nil, fmt.Errorf("docker host %q: missing socket path", host)
		}
		c.host, c.base = host, "http://docker"
		return c.withTransport("unix", path), nil
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("docker host %q: %w", host, err)
	}
	if u.Scheme != "tcp" && u.Scheme != "http" {
		return nil, fmt.Errorf("docker host %q: unsupported scheme %q (want unix:// or tcp://)", host, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("docker host %q: missing address", host)
	}
	addr := u.Host
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(u.Hostname(), "2375")
	}
	c.host, c.base = "tcp://"+addr, "http://"+addr
	return c.withTransport("tcp", addr), nil
}

func (c *Client) withTransport(network, addr string) *Client {
	var d net.Dialer
	c.hc = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}}
	return c
}

// Host returns the normalized daemon address, e.g. DefaultHost.
func (c *Client) Host() string { return c.host }

// Ping checks that a daemon answers GET /_ping and negotiates the API
// version from its Api-Version header (falling back to v1.41 when the
// header is absent, and capping it at the newest version this client
// knows).
func (c *Client) Ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/_ping", nil)
	if err != nil {
		return fmt.Errorf("ping %s: %w", c.host, err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("no Docker daemon reachable at %s: %w", c.host, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("docker daemon at %s: ping: %w", c.host, readAPIError(resp))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	v := negotiateVersion(resp.Header.Get("Api-Version"))
	c.mu.Lock()
	c.version = v
	c.mu.Unlock()
	return nil
}

// apiVersion returns the negotiated version, pinging the daemon first if
// that has not been done yet.
func (c *Client) apiVersion(ctx context.Context) (string, error) {
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	if v != "" {
		return v, nil
	}
	if err := c.Ping(ctx); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version, nil
}

// negotiateVersion picks the API version to use given the daemon's.
func negotiateVersion(server string) string {
	if _, ok := parseVersion(server); !ok {
		return fallbackAPIVersion
	}
	if versionLess(maxAPIVersion, server) {
		return maxAPIVersion
	}
	return server
}

func parseVersion(v string) ([2]int, bool) {
	major, minor, ok := strings.Cut(v, ".")
	if !ok {
		return [2]int{}, false
	}
	a, err1 := strconv.Atoi(major)
	b, err2 := strconv.Atoi(minor)
	return [2]int{a, b}, err1 == nil && err2 == nil && a >= 0 && b >= 0
}

// versionLess reports whether a < b; both must parse.
func versionLess(a, b string) bool {
	x, _ := parseVersion(a)
	y, _ := parseVersion(b)
	return x[0] < y[0] || x[0] == y[0] && x[1] < y[1]
}

// do sends a versioned API request. body, when not nil, is sent as JSON.
// Responses with status >= 400 are returned as *APIError.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body any, header http.Header) (*http.Response, error) {
	v, err := c.apiVersion(ctx)
	if err != nil {
		return nil, err
	}
	u := c.base + "/v" + v + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		for _, s := range vs {
			req.Header.Add(k, s)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, readAPIError(resp)
	}
	return resp, nil
}

// doJSON sends a request and decodes a JSON response into out (if not nil).
func (c *Client) doJSON(ctx context.Context, method, path string, query url.Values, body, out any) error {
	resp, err := c.do(ctx, method, path, query, body, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// APIError is an error response of the Engine API.
type APIError struct {
	StatusCode int
	Message    string // the body's "message", or its text
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.StatusCode)
}

// IsNotFound reports whether err is (or wraps) an Engine API 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}

// readAPIError builds an *APIError from a response's {"message": "..."}
// body (or its plain text).
func readAPIError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var m struct {
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &m) == nil && m.Message != "" {
		msg = m.Message
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &APIError{StatusCode: resp.StatusCode, Message: msg}
}

// unwrapURLError drops net/http's `Get "http://docker/...":` prefix, which
// shows a URL that does not exist.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
