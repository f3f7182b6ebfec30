package sqlitestore

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/store"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestQueryPlan checks that every shape of Query is one search of the primary key, with no sort.
func TestQueryPlan(t *testing.T) {
	s := openTest(t)
	for _, q := range []store.Query{
		{}, {Desc: true}, {Prefix: "a/"}, {Prefix: "a/", Desc: true}, {After: "b"}, {After: "b", Desc: true},
		{Prefix: "a/", After: "a/b"}, {Prefix: "a/", After: "a/b", Desc: true}, {Prefix: "\U0010ffff"},
	} {
		stmt, args := querySQL("p", q, time.Now().UnixNano())
		rows, err := s.r.Query("EXPLAIN QUERY PLAN "+stmt, args...)
		if err != nil {
			t.Fatalf("explain %q: %v", stmt, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatalf("explain %q: %v", stmt, err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, "SEARCH items USING PRIMARY KEY (pk=?") || strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("Query(%+v) plan = %q, want one search of the primary key without a sort", q, p)
		}
		if (q.Prefix != "" || q.After != "") && !strings.Contains(p, "sk") {
			t.Errorf("Query(%+v) plan = %q, want a range of sk", q, p)
		}
	}
}

func TestQuerySQLBounds(t *testing.T) {
	tests := []struct {
		q    store.Query
		want string // the sort-key constraints
	}{
		{store.Query{}, ""},
		{store.Query{Prefix: "ab"}, "sk >= ab; sk < ac"},
		{store.Query{Prefix: "ab", After: "ab/x"}, "sk > ab/x; sk < ac"},
		{store.Query{Prefix: "ab", After: "aa"}, "sk >= ab; sk < ac"},
		{store.Query{Prefix: "ab", After: "ab/x", Desc: true}, "sk >= ab; sk < ab/x"},
		{store.Query{Prefix: "ab", After: "b", Desc: true}, "sk >= ab; sk < ac"},
		{store.Query{After: "m"}, "sk > m"},
		{store.Query{After: "m", Desc: true}, "sk < m"},
	}
	for _, tt := range tests {
		stmt, args := querySQL("p", tt.q, 1)
		var got []string
		i := 2
		for _, part := range strings.Split(stmt, " AND ")[2:] {
			if strings.HasPrefix(part, "sk ") {
				op := strings.Fields(part)[1]
				got = append(got, "sk "+op+" "+args[i].(string))
				i++
			}
		}
		if g := strings.Join(got, "; "); g != tt.want {
			t.Errorf("querySQL(%+v) bounds = %q, want %q (statement %q)", tt.q, g, tt.want, stmt)
		}
		if limit := args[len(args)-1].(int); limit != tt.q.PageSize()+1 {
			t.Errorf("querySQL(%+v) limit = %d, want %d", tt.q, limit, tt.q.PageSize()+1)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		prefix, want string
		ok           bool
	}{
		{"a", "b", true}, {"a/", "a0", true}, {"é", "\xc3\xaa", true}, {"\xc3", "\xc4", true},
		{"a\xff", "b", true}, {"\xff\xff", "", false}, {"\U0010ffff", "\xf4\x8f\xbf\xc0", true},
	}
	for _, tt := range tests {
		if got, ok := prefixEnd(tt.prefix); got != tt.want || ok != tt.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tt.prefix, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNanos(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	tests := []struct {
		t    time.Time
		want int64
	}{
		{time.Time{}, 0}, {time.Unix(0, 0), 1}, {time.Unix(-5, 0), 1}, {time.Unix(0, 1), 1}, {time.Unix(0, 2), 2},
		{at, at.UnixNano()}, {time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
	}
	for _, tt := range tests {
		if got := nanos(tt.t); got != tt.want {
			t.Errorf("nanos(%v) = %d, want %d", tt.t, got, tt.want)
		}
	}
	if got := expiresAt(nanos(at)); !got.Equal(at) {
		t.Errorf("expiresAt(nanos(%v)) = %v", at, got)
	}
}

func TestPurgeExpired(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	put := func(sk string, at time.Time) {
		t.Helper()
		op := store.Op{Kind: store.Put, Item: store.Item{Key: store.Key{PK: "p", SK: sk}, ExpiresAt: at}}
		if err := s.Write(ctx, op); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	put("past", time.Now().Add(-time.Minute))
	put("long-past", time.Unix(0, 0))
	put("future", time.Now().Add(time.Hour))
	put("never", time.Time{})
	if n, err := s.PurgeExpired(ctx); err != nil || n != 2 {
		t.Fatalf("PurgeExpired = %d, %v; want 2", n, err)
	}
	var rows int
	if err := s.r.QueryRow(`SELECT count(*) FROM items`).Scan(&rows); err != nil || rows != 2 {
		t.Errorf("after purge the table has %d rows (%v), want 2", rows, err)
	}
	if n, err := s.PurgeExpired(ctx); err != nil || n != 0 {
		t.Errorf("second PurgeExpired = %d, %v; want 0", n, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing", "store.db")); err == nil {
		t.Errorf("Open in a missing directory succeeded")
	}
	if _, err := Open(dir); err == nil {
		t.Errorf("Open of a directory succeeded")
	}
	path := filepath.Join(dir, "new?#%.db") // characters a file: URI must escape
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	if _, err := s.w.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatalf("set schema version: %v", err)
	}
	s.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Errorf("Open of a file with schema version 99: error = %v, want one naming the version", err)
	}
}
