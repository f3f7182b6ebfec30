package fileblob

import (
	"fmt"
	"net/url"
)

// Open is New for a URL of the form file:///abs/path[?base_url=<url>], as
// chosen in configuration by scheme.
func Open(u *url.URL, secret []byte, opts ...Option) (*Store, error) {
	if u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
		return nil, fmt.Errorf("open file blob store %q: want file:///path", u.Redacted())
	}
	q := u.Query()
	for name := range q {
		if name != "base_url" {
			return nil, fmt.Errorf("open file blob store %q: unknown parameter %q", u.Redacted(), name)
		}
	}
	return New(u.Path, q.Get("base_url"), secret, opts...)
}
