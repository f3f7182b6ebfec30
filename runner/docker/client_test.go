package docker

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNewHost(t *testing.T) {
	tests := []struct {
		arg, env string
		want     string // Host(), or "error: <substring>"
	}{
		{"", "", DefaultHost},
		{"", "unix:///run/user/1000/docker.sock", "unix:///run/user/1000/docker.sock"},
		{"unix:///tmp/d.sock", "tcp://ignored:1", "unix:///tmp/d.sock"},
		{"/tmp/d.sock", "", "unix:///tmp/d.sock"},
		{"unix:///tmp/a#b?c.sock", "", "unix:///tmp/a#b?c.sock"},
		{"tcp://10.0.0.5:2376", "", "tcp://10.0.0.5:2376"},
		{"tcp://dockerd", "", "tcp://dockerd:2375"},
		{"ssh://me@host", "", `error: unsupported scheme "ssh"`},
		{"unix://", "", "error: missing socket path"},
		{"tcp://", "", "error: missing address"},
	}
	for _, tt := range tests {
		t.Run(tt.arg+"|"+tt.env, func(t *testing.T) {
			t.Setenv("DOCKER_HOST", tt.env)
			c, err := New(tt.arg)
			if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("New(%q) error = %v, want it to contain %q", tt.arg, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q): %v", tt.arg, err)
			}
			if got := c.Host(); got != tt.want {
				t.Errorf("Host() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPingUnreachable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "missing.sock")
	c, err := New("unix://" + sock)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Ping(context.Background())
	want := "no Docker daemon reachable at unix://" + sock + ": dial unix " + sock + ": "
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("Ping() error = %v, want prefix %q", err, want)
	}
	// Other calls report the same error.
	_, err = c.Start(context.Background(), EnvSpec{Images: []Image{{Image: "cimg/base:current"}}})
	if err == nil || !strings.Contains(err.Error(), "no Docker daemon reachable") {
		t.Fatalf("Start() error = %v", err)
	}
}

func TestPingNegotiatesVersion(t *testing.T) {
	tests := []struct{ server, want string }{
		{"1.45", "1.45"},
		{"1.41", "1.41"},
		{"1.99", maxAPIVersion},
		{"", fallbackAPIVersion},
		{"garbage", fallbackAPIVersion},
	}
	for _, tt := range tests {
		t.Run(tt.server, func(t *testing.T) {
			f := newFakeEngine(t)
			f.locked(func() { f.apiVersion = tt.server })
			c := f.client()
			if err := c.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if got, _ := c.apiVersion(context.Background()); got != tt.want {
				t.Errorf("version = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAPIErrorFromBody(t *testing.T) {
	f := newFakeEngine(t)
	c := f.client()
	err := c.doJSON(context.Background(), "GET", "/containers/0123/json", nil, nil, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Message != "No such container: 0123" {
		t.Fatalf("error = %#v, want APIError 404 with the body's message", err)
	}
	if !IsNotFound(err) || err.Error() != "No such container: 0123 (HTTP 404)" {
		t.Errorf("Error() = %q", err)
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		ref  string
		want imageRef
	}{
		{"cimg/go:1.22", imageRef{"cimg/go", "1.22", "docker.io"}},
		{"postgres", imageRef{"postgres", "latest", "docker.io"}},
		{"library/redis:7-alpine", imageRef{"library/redis", "7-alpine", "docker.io"}},
		{"ghcr.io/org/app:v1", imageRef{"ghcr.io/org/app", "v1", "ghcr.io"}},
		{"localhost:5000/app", imageRef{"localhost:5000/app", "latest", "localhost:5000"}},
		{"localhost/app:2", imageRef{"localhost/app", "2", "localhost"}},
		{"cimg/go:1.22@sha256:abcd", imageRef{"cimg/go", "sha256:abcd", "docker.io"}},
		{"123456789.dkr.ecr.us-east-1.amazonaws.com/x/y:z", imageRef{"123456789.dkr.ecr.us-east-1.amazonaws.com/x/y", "z", "123456789.dkr.ecr.us-east-1.amazonaws.com"}},
	}
	for _, tt := range tests {
		got, err := parseRef(tt.ref)
		if err != nil {
			t.Errorf("parseRef(%q): %v", tt.ref, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(imageRef{})); diff != "" {
			t.Errorf("parseRef(%q) (-want +got):\n%s", tt.ref, diff)
		}
	}
	for _, bad := range []string{"", "img:", "img@", "a b", ":tag"} {
		if _, err := parseRef(bad); err == nil {
			t.Errorf("parseRef(%q) succeeded, want error", bad)
		}
	}
}

func TestRegistryAuthHeader(t *testing.T) {
	h := registryAuthHeader(&Auth{Username: "u", Password: "p+/?"}, "docker.io")
	b, err := base64.URLEncoding.DecodeString(h)
	if err != nil {
		t.Fatalf("not base64url: %v", err)
	}
	var got map[string]string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"username": "u", "password": "p+/?", "serveraddress": "docker.io"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("auth (-want +got):\n%s", diff)
	}
}

func frame(stream byte, s string) []byte {
	hdr := make([]byte, 8, 8+len(s))
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(s)))
	return append(hdr, s...)
}

func TestDemux(t *testing.T) {
	var in []byte
	in = append(in, frame(1, "out1 ")...)
	in = append(in, frame(2, "err1")...)
	in = append(in, frame(1, "")...)
	in = append(in, frame(1, "out2")...)
	var stdout, stderr bytes.Buffer
	if err := demux(bytes.NewReader(in), &stdout, &stderr); err != nil {
		t.Fatalf("demux: %v", err)
	}
	if stdout.String() != "out1 out2" || stderr.String() != "err1" {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}

	errTests := []struct {
		name string
		in   []byte
		want string
	}{
		{"system error", append(frame(1, "x"), frame(3, "oci runtime error\n")...), "daemon error: oci runtime error"},
		{"short header", []byte{1, 0, 0}, "frame header: unexpected EOF"},
		{"short payload", frame(1, "hello")[:10], "frame payload: EOF"},
		{"bad stream", frame(7, "x"), "unknown stream 7"},
	}
	for _, tt := range errTests {
		err := demux(bytes.NewReader(tt.in), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
	}
}
