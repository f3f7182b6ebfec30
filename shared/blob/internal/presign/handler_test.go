package presign_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob/memblob"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func serve(t *testing.T, opts ...memblob.Option) (*memblob.Store, *clock) {
	t.Helper()
	c := &clock{time.Now()}
	s := memblob.New(append([]memblob.Option{memblob.WithClock(c.now)}, opts...)...)
	mux := http.NewServeMux()
	mux.Handle("/", s.Handler()) // so the handler checks the prefix itself
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	if err := s.SetBaseURL(srv.URL); err != nil {
		t.Fatal(err)
	}
	return s, c
}

func request(t *testing.T, method, u string, body io.Reader, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func presign(t *testing.T, s *memblob.Store, method, key string, ttl time.Duration) string {
	t.Helper()
	u, err := s.Presign(context.Background(), method, key, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestServeGet(t *testing.T) {
	t.Parallel()
	s, _ := serve(t)
	if err := s.Put(context.Background(), "page.html", strings.NewReader("<script>alert(1)</script>")); err != nil {
		t.Fatal(err)
	}
	u := presign(t, s, "GET", "page.html", time.Minute)
	resp, body := request(t, "GET", u, nil)
	if resp.StatusCode != 200 || body != "<script>alert(1)</script>" {
		t.Errorf("GET = %d %q", resp.StatusCode, body)
	}
	if ct, ns := resp.Header.Get("Content-Type"), resp.Header.Get("X-Content-Type-Options"); ct != "application/octet-stream" || ns != "nosniff" {
		t.Errorf("GET Content-Type %q, X-Content-Type-Options %q; want application/octet-stream, nosniff", ct, ns)
	}
	resp, body = request(t, "GET", u, nil, "Range", "bytes=8-12")
	if resp.StatusCode != http.StatusPartialContent || body != "alert" {
		t.Errorf("GET bytes=8-12 = %d %q, want 206 %q", resp.StatusCode, body, "alert")
	}
	resp, body = request(t, "HEAD", u, nil)
	if resp.StatusCode != 200 || body != "" || resp.ContentLength != 25 {
		t.Errorf("HEAD = %d %q length %d, want 200, no body, length 25", resp.StatusCode, body, resp.ContentLength)
	}
}

func TestServeRefusals(t *testing.T) {
	t.Parallel()
	s, c := serve(t, memblob.WithMaxUploadSize(10))
	getURL := presign(t, s, "GET", "k", time.Minute)
	putURL := presign(t, s, "PUT", "k", time.Minute)
	base := strings.SplitN(getURL, "/blobs/", 2)[0]
	tests := []struct {
		name, method, url string
		body              string
		want              int
	}{
		{"delete", "DELETE", getURL, "", http.StatusMethodNotAllowed},
		{"post", "POST", putURL, "x", http.StatusMethodNotAllowed},
		{"missing object", "GET", getURL, "", http.StatusNotFound},
		{"unsigned", "GET", base + "/blobs/k", "", http.StatusForbidden},
		{"invalid key", "GET", base + "/blobs/a//b?" + strings.SplitN(getURL, "?", 2)[1], "", http.StatusForbidden},
		{"outside prefix", "GET", base + "/other/k", "", http.StatusNotFound},
		{"too large", "PUT", putURL, "01234567890", http.StatusRequestEntityTooLarge},
		{"at the limit", "PUT", putURL, "0123456789", http.StatusOK},
	}
	for _, tt := range tests {
		resp, body := request(t, tt.method, tt.url, strings.NewReader(tt.body))
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %s = %d %q, want %d", tt.name, tt.method, resp.StatusCode, body, tt.want)
		}
		if tt.want == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "GET, HEAD, PUT" {
			t.Errorf("%s: Allow = %q", tt.name, resp.Header.Get("Allow"))
		}
	}
	c.t = c.t.Add(2 * time.Minute)
	if resp, _ := request(t, "GET", getURL, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET after expiry = %d, want 403", resp.StatusCode)
	}
}
