package taskapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client is the runner's side of the protocol. It is safe for concurrent use.
//
// Calls other than SendOutput retry transient failures (network errors, 5xx, 429) with exponential backoff for up
// to RetryFor, so a runner rides out a server restart or a short outage. SendOutput makes one attempt: the output
// streamer owns its retries, because it must keep the order of chunks and the bounds of its memory.
type Client struct {
	base     string // server URL without trailing slash
	taskID   string
	http     *http.Client
	RetryFor time.Duration // default 10 minutes
	MinDelay time.Duration // first backoff, default 100ms
	MaxDelay time.Duration // backoff cap, default 10s

	mu    sync.Mutex
	token string
}

// NewClient returns a client for one task. hc may be nil.
func NewClient(apiURL, taskID, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 16, IdleConnTimeout: 90 * time.Second,
			ResponseHeaderTimeout: 5 * time.Minute,
		}}
	}
	return &Client{
		base: strings.TrimRight(apiURL, "/"), taskID: taskID, token: token, http: hc,
		RetryFor: 10 * time.Minute, MinDelay: 100 * time.Millisecond, MaxDelay: 10 * time.Second,
	}
}

// TaskID returns the task this client speaks for.
func (c *Client) TaskID() string { return c.taskID }

// SetToken replaces the token (a heartbeat may renew it).
func (c *Client) SetToken(tok string) {
	c.mu.Lock()
	c.token = tok
	c.mu.Unlock()
}

// Token returns the current token.
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

func (c *Client) bearer() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return "Bearer " + c.token
}

// Claim fetches the task.
func (c *Client) Claim(ctx context.Context, req ClaimRequest) (*Task, error) {
	var t Task
	return &t, c.call(ctx, "POST", "/claim", req, &t)
}

// StepEvent reports a step starting or ending.
func (c *Client) StepEvent(ctx context.Context, ev StepEvent) error {
	return c.call(ctx, "POST", "/steps", ev, nil)
}

// Blob asks for presigned URLs.
func (c *Client) Blob(ctx context.Context, req BlobRequest) (*BlobResponse, error) {
	var res BlobResponse
	return &res, c.call(ctx, "POST", "/blobs", req, &res)
}

// Timings fetches test timings grouped by "file", "classname" or "name".
func (c *Client) Timings(ctx context.Context, by string) (*Timings, error) {
	var res Timings
	return &res, c.call(ctx, "GET", "/timings?by="+url.QueryEscape(by), nil, &res)
}

// FailedTests fetches the failures of the attempt this task reruns.
func (c *Client) FailedTests(ctx context.Context) (*FailedTests, error) {
	var res FailedTests
	return &res, c.call(ctx, "GET", "/failed-tests", nil, &res)
}

// Heartbeat reports liveness; a renewed token is applied to the client.
func (c *Client) Heartbeat(ctx context.Context) (*HeartbeatResponse, error) {
	var res HeartbeatResponse
	if err := c.call(ctx, "POST", "/heartbeat", nil, &res); err != nil {
		return nil, err
	}
	if res.Token != "" {
		c.SetToken(res.Token)
	}
	return &res, nil
}

// Complete reports the task's final status.
func (c *Client) Complete(ctx context.Context, comp Completion) error {
	return c.call(ctx, "POST", "/complete", comp, nil)
}

// SendOutput uploads one chunk of a step's output, once.
func (c *Client) SendOutput(ctx context.Context, step int, offset int64, at time.Time, data []byte) error {
	path := "/steps/" + strconv.Itoa(step) + "/output?offset=" + strconv.FormatInt(offset, 10)
	req, err := http.NewRequestWithContext(ctx, "PUT", c.url(path), bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("send output of step %d: %w", step, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(TimeHeader, at.UTC().Format(time.RFC3339Nano))
	return c.do(req, nil)
}

func (c *Client) url(path string) string {
	return c.base + PathPrefix + "/tasks/" + url.PathEscape(c.taskID) + path
}

// call makes one JSON call with retries.
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
	}
	return c.retry(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, method, c.url(path), bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return c.do(req, out)
	})
}

// retry runs f until it succeeds, fails permanently, ctx ends or RetryFor passes.
func (c *Client) retry(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(c.RetryFor)
	delay := c.MinDelay
	for {
		err := f()
		if err == nil || !Transient(err) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(delay/2 + rand.N(delay/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, c.MaxDelay)
	}
}

// do sends req with the token and decodes a JSON answer into out.
func (c *Client) do(req *http.Request, out any) error {
	req.Header.Set("Authorization", c.bearer())
	res, err := c.http.Do(req)
	if err != nil {
		return &transientError{fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)}
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		return responseError(req, res)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return &transientError{fmt.Errorf("%s %s: decode answer: %w", req.Method, req.URL.Path, err)}
	}
	return nil
}

func responseError(req *http.Request, res *http.Response) error {
	var m struct {
		Message string `json:"message"`
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if json.Unmarshal(b, &m) != nil || m.Message == "" {
		m.Message = strings.TrimSpace(string(b))
	}
	err := fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, res.Status, m.Message)
	for _, s := range statusMap {
		if s.code == res.StatusCode {
			return fmt.Errorf("%w: %w", s.err, err)
		}
	}
	if res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests {
		return &transientError{err}
	}
	return err
}

// transientError marks a failure worth retrying.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// Transient reports whether err is worth retrying: a network failure, a 5xx or a 429.
func Transient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}
