package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/store"
	"github.com/google/go-cmp/cmp"
)

func expiring(pk, sk, data string, at time.Time) store.Op {
	return store.Op{Kind: store.Put, Item: store.Item{Key: key(pk, sk), Data: []byte(data), ExpiresAt: at}}
}

func near(got, want time.Time) bool {
	d := got.Sub(want)
	return d > -expiryPrecision && d < expiryPrecision
}

// testExpiresAt checks that ExpiresAt is kept, returned and cleared, and that an item whose ExpiresAt has
// passed is gone at once.
func testExpiresAt(t *testing.T, s store.Store) {
	later := time.Now().Add(time.Hour)
	write(t, s, expiring("e", "later", "later", later))
	if it := get(t, s, key("e", "later")); !near(it.ExpiresAt, later) || string(it.Data) != "later" {
		t.Errorf("Get = data %q expires %v, want data %q expires %v", it.Data, it.ExpiresAt, "later", later)
	}
	p := query(t, s, "e", store.Query{})
	if len(p.Items) != 1 || !near(p.Items[0].ExpiresAt, later) {
		t.Errorf("Query = %+v, want one item expiring at %v", p.Items, later)
	}
	// A put without ExpiresAt makes the item permanent; one with it sets it again.
	put(t, s, "e", "later", "permanent")
	if it := get(t, s, key("e", "later")); !it.ExpiresAt.IsZero() || it.Version != 2 {
		t.Errorf("after a put without expiry Get = version %d expires %v, want version 2, no expiry", it.Version,
			it.ExpiresAt)
	}
	far := time.Date(2200, 1, 2, 3, 4, 5, 0, time.UTC)
	write(t, s, expiring("e", "later", "far", far))
	if it := get(t, s, key("e", "later")); !near(it.ExpiresAt, far) || it.Version != 3 {
		t.Errorf("Get = version %d expires %v, want version 3 expiring %v", it.Version, it.ExpiresAt, far)
	}

	for _, past := range []time.Time{time.Now().Add(-time.Hour), time.Unix(0, 0), time.Unix(1, 0),
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)} {
		write(t, s, expiring("e", "past", "past", past))
		wantAbsent(t, s, key("e", "past"))
		if p := query(t, s, "e", store.Query{Prefix: "past"}); len(p.Items) != 0 {
			t.Errorf("Query returned an item that expired at %v", past)
		}
	}
	// An expired item is absent to conditions, and a put over it creates a new item.
	write(t, s, store.PutIf(item("e", "past", "new"), store.Absent, 0))
	wantItem(t, s, key("e", "past"), 1, "new")
	// Expiring an existing item makes it vanish.
	write(t, s, store.PutIf(store.Item{Key: key("e", "past"), ExpiresAt: time.Now().Add(-time.Second)},
		store.AtVersion, 1))
	wantAbsent(t, s, key("e", "past"))
}

// testExpiryClock lets an item expire on the real clock.
func testExpiryClock(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := time.Now().Add(500 * time.Millisecond)
	write(t, s, expiring("clock", "soon", "soon", at), putOp("clock", "stays", "stays"))
	_, err := s.Get(ctx, key("clock", "soon"))
	if time.Until(at) > expiryPrecision/2 && err != nil { // skipped on a very slow machine
		t.Errorf("Get before expiry: %v", err)
	}
	time.Sleep(time.Until(at.Add(expiryPrecision + 100*time.Millisecond)))
	wantAbsent(t, s, key("clock", "soon"))
	if diff := cmp.Diff([]string{"stays"}, sortKeys(query(t, s, "clock", store.Query{}).Items)); diff != "" {
		t.Errorf("Query after expiry (-want +got):\n%s", diff)
	}
	if err := s.Write(ctx, store.Op{Kind: store.Check, Item: store.Item{Key: key("clock", "soon")},
		Cond: store.Exists}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Check Exists after expiry: error = %v, want ErrConflict", err)
	}
	write(t, s, store.PutIf(item("clock", "soon", "again"), store.Absent, 0))
	wantItem(t, s, key("clock", "soon"), 1, "again")
}

// testExpiredQuery pages through a partition where every other item, and the last ones, have expired.
func testExpiredQuery(t *testing.T, s store.Store) {
	past, later := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	var ops []store.Op
	var live []string
	for i, sk := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		switch {
		case i%2 == 1 || i >= 9:
			ops = append(ops, expiring("mix", sk, sk, past))
		case i%4 == 0:
			ops = append(ops, expiring("mix", sk, sk, later))
			live = append(live, sk)
		default:
			ops = append(ops, putOp("mix", sk, sk))
			live = append(live, sk)
		}
	}
	write(t, s, ops...)
	for _, limit := range []int{1, 2, 3, 100} {
		for _, desc := range []bool{false, true} {
			want := live
			if desc {
				want = reversed(live)
			}
			items, _ := queryAll(t, s, "mix", store.Query{Limit: limit, Desc: desc})
			if diff := cmp.Diff(want, sortKeys(items)); diff != "" {
				t.Errorf("Query(limit %d, desc %v) (-want +got):\n%s", limit, desc, diff)
			}
		}
	}
}
