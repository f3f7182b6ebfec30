package sqlitestore_test

import (
	"path/filepath"
	"testing"

	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/store/sqlitestore"
	"github.com/caravan-ci/caravan/shared/store/storetest"
)

func open(t testing.TB, path string) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "store.db"))
	})
}
