package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
)

// The HTTP side of the client commands: the token, the host, requests and the server's errors.

// resolveToken picks the token: the flag, CARAVAN_TOKEN, CIRCLECI_CLI_TOKEN, then .caravan/admin.token.
func resolveToken(flagValue string) (string, error) {
	for _, t := range []string{flagValue, os.Getenv("CARAVAN_TOKEN"), os.Getenv("CIRCLECI_CLI_TOKEN")} {
		if t = strings.TrimSpace(t); t != "" {
			return t, nil
		}
	}
	b, err := os.ReadFile(adminTokenFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the API token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// normalizeHost gives a host without a scheme http:// and drops trailing slashes.
func normalizeHost(h string) string {
	h = strings.TrimRight(strings.TrimSpace(h), "/")
	if !strings.Contains(h, "://") {
		h = "http://" + h
	}
	return h
}

// apiClient calls the API with a token.
type apiClient struct {
	host, token string
	hc          *http.Client
}

// apiError is an answer of the server with an error status.
type apiError struct {
	Status  int
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, http.StatusText(e.Status))
}

func (c *apiClient) call(ctx context.Context, method, path string, body any) (json.RawMessage, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode the request: %w", err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.host+path, r)
	if err != nil {
		return nil, fmt.Errorf("bad server URL %q: %w", c.host, err)
	}
	req.Header.Set("Circle-Token", c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return nil, fmt.Errorf("the Caravan server is not running at %s (%w)", c.host, syscall.ECONNREFUSED)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot reach the Caravan server at %s: %w", c.host, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s: %w", c.host, err)
	}
	if resp.StatusCode >= 300 {
		return nil, &apiError{Status: resp.StatusCode, Message: messageOf(b, resp.StatusCode)}
	}
	return b, nil
}

// messageOf is the message of an error answer: its JSON "message", else its text.
func messageOf(body []byte, status int) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		return m.Message
	}
	if s := strings.TrimSpace(string(body)); s != "" && len(s) < 300 {
		return s
	}
	return http.StatusText(status)
}

// slugPath escapes each segment of a slug ("gh/acme/api") for a URL path.
func slugPath(slug string) string {
	parts := strings.Split(strings.Trim(slug, "/"), "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
