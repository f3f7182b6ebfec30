package taskapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
)

// Upload PUTs a file to a presigned URL, retrying transient failures from the start of the file.
func (c *Client) Upload(ctx context.Context, url string, f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.Name(), err)
	}
	return c.retry(ctx, func() error {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("upload %s: %w", f.Name(), err)
		}
		req, err := http.NewRequestWithContext(ctx, "PUT", url, io.NopCloser(f))
		if err != nil {
			return fmt.Errorf("upload %s: %w", f.Name(), err)
		}
		req.ContentLength = st.Size()
		req.Header.Set("Content-Type", "application/octet-stream")
		return c.blobDo(req, nil)
	})
}

// Download GETs a presigned URL. The caller closes the body. Retries cover connecting, not a broken stream.
func (c *Client) Download(ctx context.Context, url string) (io.ReadCloser, error) {
	var body io.ReadCloser
	err := c.retry(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return fmt.Errorf("download: %w", err)
		}
		return c.blobDo(req, &body)
	})
	return body, err
}

// blobDo sends a request to blob storage: no bearer token (the URL is its own credential).
func (c *Client) blobDo(req *http.Request, body *io.ReadCloser) error {
	res, err := c.http.Do(req)
	if err != nil {
		return &transientError{fmt.Errorf("%s blob: %w", req.Method, err)}
	}
	if res.StatusCode >= 300 {
		defer res.Body.Close()
		return responseError(req, res)
	}
	if body != nil {
		*body = res.Body
		return nil
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return nil
}
