package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/store"
)

// testConditions runs every condition on every kind of operation against a missing item, a live item at
// version 2 and an expired item (which counts as missing), and checks the outcome and the state after.
func testConditions(t *testing.T, s store.Store) {
	type state int
	const (
		missing state = iota
		live          // at version 2, data "old"
		expired       // put with ExpiresAt in the past
	)
	stateNames := map[state]string{missing: "missing", live: "live", expired: "expired"}
	conds := []struct {
		cond    store.Cond
		version int64
		holds   map[state]bool
	}{
		{store.Any, 0, map[state]bool{missing: true, live: true, expired: true}},
		{store.Absent, 0, map[state]bool{missing: true, expired: true}},
		{store.AtVersion, 2, map[state]bool{live: true}},
		{store.AtVersion, 1, nil},
		{store.AtVersion, 3, nil},
		{store.AtVersion, 0, nil},
		{store.Exists, 0, map[state]bool{live: true}},
	}
	ctx := context.Background()
	for _, kind := range []store.OpKind{store.Put, store.Delete, store.Check} {
		for _, st := range []state{missing, live, expired} {
			for _, c := range conds {
				name := fmt.Sprintf("%s %s item if %s", kindName(kind), stateNames[st], condName(c.cond, c.version))
				k := key("cond", name)
				switch st {
				case live:
					put(t, s, k.PK, k.SK, "old")
					put(t, s, k.PK, k.SK, "old")
				case expired:
					write(t, s, store.Op{Kind: store.Put, Item: store.Item{Key: k, Data: []byte("old"),
						ExpiresAt: time.Now().Add(-time.Hour)}})
				}
				op := store.Op{Kind: kind, Item: store.Item{Key: k, Data: []byte("new")}, Cond: c.cond, Version: c.version}
				err := s.Write(ctx, op)
				holds := c.holds[st]
				switch {
				case holds && err != nil:
					t.Errorf("%s: error = %v, want success", name, err)
				case !holds && !errors.Is(err, store.ErrConflict):
					t.Errorf("%s: error = %v, want ErrConflict", name, err)
				}
				switch {
				case holds && kind == store.Put && st == live:
					wantItem(t, s, k, 3, "new")
				case holds && kind == store.Put:
					wantItem(t, s, k, 1, "new")
				case (holds && kind == store.Delete) || st != live:
					wantAbsent(t, s, k)
				default:
					wantItem(t, s, k, 2, "old")
				}
			}
		}
	}
	// PutIf builds the same op as the literal.
	if got, want := store.PutIf(item("p", "k", "d"), store.AtVersion, 7), (store.Op{Kind: store.Put,
		Item: item("p", "k", "d"), Cond: store.AtVersion, Version: 7}); got.Kind != want.Kind ||
		got.Cond != want.Cond || got.Version != want.Version || got.Item.Key != want.Item.Key {
		t.Errorf("PutIf = %+v, want %+v", got, want)
	}
}

// testAllOrNothing writes several operations across partitions with one failing condition at every
// position, then with all conditions holding.
func testAllOrNothing(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, "p", "a1", "a1")
	put(t, s, "p", "a2", "a2")
	put(t, s, "q", "b1", "b1")
	ops := func(failAt int) []store.Op {
		ops := []store.Op{
			store.PutIf(item("p", "n1", "n1"), store.Any, 0),
			store.PutIf(item("p", "a1", "a1 v2"), store.AtVersion, 1),
			{Kind: store.Delete, Item: store.Item{Key: key("q", "b1")}, Cond: store.Exists},
			store.PutIf(item("q", "n2", "n2"), store.Absent, 0),
			{Kind: store.Check, Item: store.Item{Key: key("p", "a2")}, Cond: store.AtVersion, Version: 1},
			{Kind: store.Delete, Item: store.Item{Key: key("p", "never")}},
		}
		if failAt >= 0 {
			ops[failAt].Cond, ops[failAt].Version = store.AtVersion, 99
		}
		return ops
	}
	unchanged := func(after string) {
		t.Helper()
		wantItem(t, s, key("p", "a1"), 1, "a1")
		wantItem(t, s, key("p", "a2"), 1, "a2")
		wantItem(t, s, key("q", "b1"), 1, "b1")
		wantAbsent(t, s, key("p", "n1"))
		wantAbsent(t, s, key("q", "n2"))
		if got := sortKeys(query(t, s, "p", store.Query{}).Items); fmt.Sprint(got) != "[a1 a2]" {
			t.Errorf("after %s Query(p) = %q, want [a1 a2]", after, got)
		}
	}
	for failAt := range len(ops(-1)) {
		if err := s.Write(ctx, ops(failAt)...); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("Write with op %d failing: error = %v, want ErrConflict", failAt, err)
		}
		unchanged(fmt.Sprintf("a write failing at op %d", failAt))
	}
	write(t, s, ops(-1)...)
	wantItem(t, s, key("p", "n1"), 1, "n1")
	wantItem(t, s, key("p", "a1"), 2, "a1 v2")
	wantItem(t, s, key("p", "a2"), 1, "a2")
	wantAbsent(t, s, key("q", "b1"))
	wantItem(t, s, key("q", "n2"), 1, "n2")
	// The same write again fails: its conditions no longer hold.
	if err := s.Write(ctx, ops(-1)...); !errors.Is(err, store.ErrConflict) {
		t.Errorf("repeated Write: error = %v, want ErrConflict", err)
	}
	wantItem(t, s, key("p", "a1"), 2, "a1 v2")
}
