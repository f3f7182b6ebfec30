// Package ctxio makes a blocking read honour a context, for the blob adapters' Put.
package ctxio

import (
	"context"
	"io"
)

// Reader returns r failing every read once ctx is done.
func Reader(ctx context.Context, r io.Reader) io.Reader { return reader{ctx, r} }

type reader struct {
	ctx context.Context
	r   io.Reader
}

func (c reader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
