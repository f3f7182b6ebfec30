package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/caravan-ci/caravan/shared/store"
	"github.com/google/go-cmp/cmp"
)

func testQueryOrder(t *testing.T, s store.Store) {
	// Byte order: '-' < '.' < '/' < '0' < 'A' < 'a' < '~' < DEL < 'é' (C3 A9) < 'ÿ' (C3 BF) < '日' (E6…)
	// < U+10FFFF (F4…). A store comparing runes, case-folding or collating by locale gets some of them wrong.
	sks := []string{"b", "a", "aa", "a0", "a/b", "a-b", "a.b", "B", "Z", "~", "\x7f", "é", "e", "ÿ", "日本", "日",
		"\U0010ffff", "a\U0010ffff", "ab", "a\x01"}
	var ops []store.Op
	for _, sk := range sks {
		ops = append(ops, putOp("ord", sk, "v:"+sk))
	}
	write(t, s, ops...)
	for _, pk := range []string{"or", "ord2", "ordx", "Ord", "ord/"} {
		put(t, s, pk, "a", "other partition")
	}
	want := slices.Clone(sks)
	slices.Sort(want)
	for _, desc := range []bool{false, true} {
		p := query(t, s, "ord", store.Query{Desc: desc})
		w := want
		if desc {
			w = reversed(want)
		}
		if diff := cmp.Diff(w, sortKeys(p.Items)); diff != "" {
			t.Errorf("Query(desc %v) sort keys (-want +got):\n%s", desc, diff)
		}
		if p.Next != "" {
			t.Errorf("Query(desc %v) of %d items: Next = %q, want none", desc, len(sks), p.Next)
		}
		for _, it := range p.Items {
			if it.Version != 1 || string(it.Data) != "v:"+it.SK || !it.ExpiresAt.IsZero() {
				t.Errorf("Query(desc %v) item %q = version %d data %q expires %v, want version 1 data %q",
					desc, it.SK, it.Version, it.Data, it.ExpiresAt, "v:"+it.SK)
			}
		}
	}
}

func testQueryPrefix(t *testing.T, s store.Store) {
	sks := []string{"a", "a-b", "a/b", "a/c/d", "a0", "ab", "ab\U0010ffff", "abc", "ab\x7f", "e", "é", "éa", "ê",
		"b", "日", "日本", "\U0010ffff", "\U0010ffffz"}
	var ops []store.Op
	for _, sk := range sks {
		ops = append(ops, putOp("pfx", sk, "v:"+sk))
	}
	write(t, s, ops...)
	put(t, s, "pfx2", "a", "other partition")
	for _, prefix := range []string{"", "a", "a/", "a/b", "a/c/d/", "ab", "abc", "é", "\xc3", "日", "\U0010ffff",
		"nope", "A", "0", "~"} {
		var want []string
		for _, sk := range sks {
			if len(sk) >= len(prefix) && sk[:len(prefix)] == prefix {
				want = append(want, sk)
			}
		}
		slices.Sort(want)
		for _, desc := range []bool{false, true} {
			w := want
			if desc {
				w = reversed(want)
			}
			p := query(t, s, "pfx", store.Query{Prefix: prefix, Desc: desc})
			if diff := cmp.Diff(w, sortKeys(p.Items)); diff != "" {
				t.Errorf("Query(prefix %q, desc %v) sort keys (-want +got):\n%s", prefix, desc, diff)
			}
			items, _ := queryAll(t, s, "pfx", store.Query{Prefix: prefix, Desc: desc, Limit: 2})
			if diff := cmp.Diff(w, sortKeys(items)); diff != "" {
				t.Errorf("Query(prefix %q, desc %v) in pages of 2: sort keys (-want +got):\n%s", prefix, desc, diff)
			}
		}
	}
}

// testQueryPaging pages through a partition in both directions, with and without a prefix, at many page
// sizes, and checks that the pages together hold every item once, in order.
func testQueryPaging(t *testing.T, s store.Store) {
	const n = 23
	sks := putMany(t, s, "page", "k%03d", n)
	put(t, s, "page", "j", "before the prefix")
	put(t, s, "page", "l", "after the prefix")
	for _, limit := range []int{1, 2, 5, 7, n - 1, n, n + 1, 100} {
		for _, desc := range []bool{false, true} {
			want := sks
			if desc {
				want = reversed(sks)
			}
			q := store.Query{Prefix: "k", Limit: limit, Desc: desc}
			items, pages := queryAll(t, s, "page", q)
			if diff := cmp.Diff(want, sortKeys(items)); diff != "" {
				t.Errorf("Query(%+v) in pages (-want +got):\n%s", q, diff)
			}
			// A store may end on a full page whose Next leads to an empty one, never later.
			if full := (n + limit - 1) / limit; pages != full && pages != full+1 {
				t.Errorf("Query(%+v) took %d pages, want %d (or one more, empty)", q, pages, full)
			}
			q.Prefix = ""
			items, _ = queryAll(t, s, "page", q)
			want = append([]string{"j"}, append(slices.Clone(sks), "l")...)
			if desc {
				want = reversed(want)
			}
			if diff := cmp.Diff(want, sortKeys(items)); diff != "" {
				t.Errorf("Query(%+v) in pages (-want +got):\n%s", q, diff)
			}
		}
	}
}

// testQueryPagingChanges changes the partition between pages: Next marks a place in sort-key order, so
// the listing continues after it even when that item is gone, and items added behind it are not repeated.
func testQueryPagingChanges(t *testing.T, s store.Store) {
	for _, desc := range []bool{false, true} {
		pk := fmt.Sprintf("chg-%v", desc)
		sks := putMany(t, s, pk, "k%02d", 10)
		if desc {
			sks = reversed(sks)
		}
		first := query(t, s, pk, store.Query{Limit: 4, Desc: desc})
		if diff := cmp.Diff(sks[:4], sortKeys(first.Items)); diff != "" || first.Next == "" {
			t.Fatalf("Query(desc %v) first page (-want +got):\n%s\nnext %q", desc, diff, first.Next)
		}
		// Delete the last item returned and the next one; add items on both sides of the cursor.
		write(t, s,
			store.Op{Kind: store.Delete, Item: store.Item{Key: key(pk, sks[3])}},
			store.Op{Kind: store.Delete, Item: store.Item{Key: key(pk, sks[4])}},
			putOp(pk, "k01x", "behind or ahead"), putOp(pk, "k08x", "ahead or behind"))
		rest, _ := queryAll(t, s, pk, store.Query{Limit: 4, Desc: desc, After: first.Next})
		want := []string{"k05", "k06", "k07", "k08", "k08x", "k09"}
		if desc {
			want = []string{"k04", "k03", "k02", "k01x", "k01", "k00"}
		}
		if diff := cmp.Diff(want, sortKeys(rest)); diff != "" {
			t.Errorf("Query(desc %v) after changes, from Next %q (-want +got):\n%s", desc, first.Next, diff)
		}
	}
}

func testQueryLimit(t *testing.T, s store.Store) {
	const n = 1005
	sks := putMany(t, s, "lim", "k%04d", n)
	tests := []struct {
		limit, want int
	}{{0, 100}, {-1, 100}, {1, 1}, {999, 999}, {1000, 1000}, {1001, 1000}, {5000, 1000}}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			p := query(t, s, "lim", store.Query{Limit: tt.limit, Desc: desc})
			want := sks[:tt.want]
			if desc {
				want = reversed(sks)[:tt.want]
			}
			if diff := cmp.Diff(want, sortKeys(p.Items)); diff != "" {
				t.Errorf("Query(limit %d, desc %v) (-want +got):\n%s", tt.limit, desc, diff)
			}
			if p.Next == "" {
				t.Errorf("Query(limit %d, desc %v) of %d items: no Next", tt.limit, desc, n)
			}
		}
	}
	items, pages := queryAll(t, s, "lim", store.Query{Limit: 5000})
	if len(items) != n || pages != 2 {
		t.Errorf("Query(limit 5000) to the end = %d items in %d pages, want %d in 2", len(items), pages, n)
	}
	if _, err := s.Query(context.Background(), "", store.Query{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Query of an empty partition key: error = %v, want ErrInvalid", err)
	}
}
