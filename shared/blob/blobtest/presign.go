package blobtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
)

var client = &http.Client{Timeout: 30 * time.Second}

// do sends method to u with body (nil for none) and returns the status and
// the response body.
func do(t *testing.T, method, u string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatalf("new %s request: %v", method, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	return resp.StatusCode, data, resp.Header
}

func presign(t *testing.T, s blob.Store, method, key string, ttl time.Duration) string {
	t.Helper()
	u, err := s.Presign(context.Background(), method, key, ttl)
	if err != nil {
		t.Fatalf("Presign(%s, %q, %v): %v", method, key, ttl, err)
	}
	return u
}

func testPresignRoundTrip(t *testing.T, s blob.Store) {
	for _, key := range []string{"up/file.bin", "up/a b/日本%2F?#.txt", "up/empty"} {
		data := []byte("uploaded through a presigned url: " + key)
		if key == "up/empty" {
			data = []byte{}
		}
		if code, body, _ := do(t, "PUT", presign(t, s, "PUT", key, time.Minute), data); code/100 != 2 {
			t.Fatalf("PUT %q through presigned url: status %d %q, want 2xx", key, code, body)
		}
		if got := get(t, s, key); !bytes.Equal(got, data) {
			t.Errorf("Get(%q) after presigned PUT = %q, want %q", key, clip(got), clip(data))
		}
		code, got, h := do(t, "GET", presign(t, s, "GET", key, time.Minute), nil)
		if code != http.StatusOK || !bytes.Equal(got, data) {
			t.Errorf("GET %q through presigned url: status %d body %q, want 200 %q", key, code, clip(got), clip(data))
		}
		if cl := h.Get("Content-Length"); cl != strconv.Itoa(len(data)) {
			t.Errorf("GET %q: Content-Length %q, want %d", key, cl, len(data))
		}
	}
}

func testPresignGetMissing(t *testing.T, s blob.Store) {
	if code, _, _ := do(t, "GET", presign(t, s, "GET", "missing/key", time.Minute), nil); code != http.StatusNotFound {
		t.Errorf("GET of a missing object through presigned url: status %d, want 404", code)
	}
}

func testPresignWrongMethod(t *testing.T, s blob.Store) {
	put(t, s, "m/obj", []byte("original"))
	getURL := presign(t, s, "GET", "m/obj", time.Minute)
	putURL := presign(t, s, "PUT", "m/obj", time.Minute)
	if code, _, _ := do(t, "PUT", getURL, []byte("overwritten")); code != http.StatusForbidden {
		t.Errorf("PUT through a GET url: status %d, want 403", code)
	}
	if code, _, _ := do(t, "GET", putURL, nil); code != http.StatusForbidden {
		t.Errorf("GET through a PUT url: status %d, want 403", code)
	}
	for _, u := range []string{getURL, putURL} {
		if code, _, _ := do(t, "DELETE", u, nil); code != http.StatusForbidden && code != http.StatusMethodNotAllowed {
			t.Errorf("DELETE through a presigned url: status %d, want 403 or 405", code)
		}
	}
	if got := get(t, s, "m/obj"); string(got) != "original" {
		t.Errorf("after misused urls Get = %q, want the original", clip(got))
	}
}

// testPresignTampered alters each part of presigned URLs. Altering the key
// or the signature must give 403; altering or dropping any other query
// parameter must give 400 or 403 (S3 answers 400 to a malformed one).
func testPresignTampered(t *testing.T, s blob.Store) {
	put(t, s, "t/secret", []byte("secret"))
	put(t, s, "t/other", []byte("other"))
	for _, method := range []string{"GET", "PUT"} {
		orig := presign(t, s, method, "t/other", time.Minute)
		u, err := url.Parse(orig)
		if err != nil {
			t.Fatalf("parse presigned url %q: %v", orig, err)
		}
		body := []byte(nil)
		if method == "PUT" {
			body = []byte("tampered")
		}
		try := func(what string, tu *url.URL, want ...int) {
			t.Helper()
			code, _, _ := do(t, method, tu.String(), body)
			for _, w := range want {
				if code == w {
					return
				}
			}
			t.Errorf("%s through a %s url with %s: status %d, want %v", method, method, what, code, want)
		}

		ku := *u
		ku.Path = strings.TrimSuffix(u.Path, "other") + "secret"
		ku.RawPath = ""
		try("the key changed", &ku, http.StatusForbidden)

		sigFound := false
		for name := range u.Query() {
			q := u.Query()
			q.Set(name, mutate(q.Get(name)))
			mu := *u
			mu.RawQuery = q.Encode()
			isSig := strings.Contains(strings.ToLower(name), "sig")
			sigFound = sigFound || isSig
			if isSig {
				try("parameter "+name+" altered", &mu, http.StatusForbidden)
			} else {
				try("parameter "+name+" altered", &mu, http.StatusForbidden, http.StatusBadRequest)
			}
			q = u.Query()
			q.Del(name)
			mu.RawQuery = q.Encode()
			try("parameter "+name+" removed", &mu, http.StatusForbidden, http.StatusBadRequest)
		}
		if !sigFound {
			t.Errorf("presigned url %q has no query parameter named like a signature", orig)
		}
	}
	if got := get(t, s, "t/secret"); string(got) != "secret" {
		t.Errorf("after tampered PUTs Get(t/secret) = %q, want it unchanged", clip(got))
	}
	if got := get(t, s, "t/other"); string(got) != "other" {
		t.Errorf("after tampered PUTs Get(t/other) = %q, want it unchanged", clip(got))
	}
}

// mutate changes the last character of v, keeping hex digits hex.
func mutate(v string) string {
	if v == "" {
		return "0"
	}
	const cycle = "0123456789abcdef0ABCDEFA"
	last := v[len(v)-1]
	next := byte('A')
	if i := strings.IndexByte(cycle, last); i >= 0 {
		next = cycle[i+1]
	} else if last == 'A' {
		next = 'B'
	}
	return v[:len(v)-1] + string(next)
}

// testPresignExpired uses URLs that live 2s, against the real clock.
func testPresignExpired(t *testing.T, s blob.Store) {
	const ttl = 2 * time.Second
	start := time.Now()
	putURL := presign(t, s, "PUT", "e/obj", ttl)
	getURL := presign(t, s, "GET", "e/obj", ttl)
	if code, body, _ := do(t, "PUT", putURL, []byte("fresh")); code/100 != 2 {
		t.Fatalf("PUT through a fresh url: status %d %q, want 2xx", code, body)
	}
	if code, _, _ := do(t, "GET", getURL, nil); code != http.StatusOK {
		t.Fatalf("GET through a fresh url: status %d, want 200", code)
	}
	for {
		code, _, _ := do(t, "GET", getURL, nil)
		if code == http.StatusForbidden {
			break
		}
		if code != http.StatusOK || time.Since(start) > ttl+5*time.Second {
			t.Fatalf("GET through a url presigned %v ago for %v: status %d, want 403", time.Since(start), ttl, code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if time.Since(start) < ttl {
		t.Errorf("url refused after %v, before its ttl %v", time.Since(start), ttl)
	}
	if code, _, _ := do(t, "PUT", putURL, []byte("late")); code != http.StatusForbidden {
		t.Errorf("PUT through an expired url: status %d, want 403", code)
	}
	if got := get(t, s, "e/obj"); string(got) != "fresh" {
		t.Errorf("after expired PUT Get = %q, want %q", clip(got), "fresh")
	}
}

func testPresignInvalid(t *testing.T, s blob.Store) {
	ctx := context.Background()
	for _, method := range []string{"DELETE", "POST", "HEAD", "get", ""} {
		if _, err := s.Presign(ctx, method, "k", time.Minute); err == nil {
			t.Errorf("Presign(%q, k, 1m) = nil error, want one", method)
		}
	}
	for _, ttl := range []time.Duration{0, -time.Second, blob.MaxPresignTTL + time.Second} {
		if _, err := s.Presign(ctx, "GET", "k", ttl); err == nil {
			t.Errorf("Presign(GET, k, %v) = nil error, want one", ttl)
		}
	}
	if _, err := s.Presign(ctx, "PUT", "k", blob.MaxPresignTTL); err != nil {
		t.Errorf("Presign(PUT, k, MaxPresignTTL): %v", err)
	}
}
