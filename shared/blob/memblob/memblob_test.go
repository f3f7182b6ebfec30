package memblob_test

import (
	"net/http/httptest"
	"testing"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/blob/blobtest"
	"github.com/caravan-ci/caravan/shared/blob/memblob"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s := memblob.New()
		srv := httptest.NewServer(s.Handler())
		t.Cleanup(srv.Close)
		if err := s.SetBaseURL(srv.URL); err != nil {
			t.Fatalf("SetBaseURL: %v", err)
		}
		return s
	})
}
