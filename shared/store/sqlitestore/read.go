package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/store"
)

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, k store.Key) (store.Item, error) {
	if err := store.ValidKey(k); err != nil {
		return store.Item{}, fmt.Errorf("sqlitestore get: %w", err)
	}
	it := store.Item{Key: k}
	var expires int64
	err := s.retry(ctx, func() error {
		return s.get.QueryRowContext(ctx, k.PK, k.SK, time.Now().UnixNano()).Scan(&it.Version, &it.Data, &expires)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Item{}, fmt.Errorf("sqlitestore get %q/%q: %w", k.PK, k.SK, store.ErrNotFound)
	case err != nil:
		return store.Item{}, fmt.Errorf("sqlitestore get %q/%q: %w", k.PK, k.SK, err)
	}
	it.ExpiresAt = expiresAt(expires)
	return it, nil
}

// Query implements store.Store with one range scan of the primary key.
func (s *Store) Query(ctx context.Context, pk string, q store.Query) (store.Page, error) {
	if err := store.ValidKey(store.Key{PK: pk, SK: "-"}); err != nil {
		return store.Page{}, fmt.Errorf("sqlitestore query: %w", err)
	}
	stmt, args := querySQL(pk, q, time.Now().UnixNano())
	var page store.Page
	err := s.retry(ctx, func() error {
		page = store.Page{}
		rows, err := s.r.QueryContext(ctx, stmt, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it := store.Item{Key: store.Key{PK: pk}}
			var expires int64
			if err := rows.Scan(&it.SK, &it.Version, &it.Data, &expires); err != nil {
				return err
			}
			it.ExpiresAt = expiresAt(expires)
			page.Items = append(page.Items, it)
		}
		return rows.Err()
	})
	if err != nil {
		return store.Page{}, fmt.Errorf("sqlitestore query %q: %w", pk, err)
	}
	// querySQL asks for one row more than a page: its presence means there is a next page.
	if size := q.PageSize(); len(page.Items) > size {
		page.Items = page.Items[:size]
		page.Next = page.Items[size-1].SK
	}
	return page, nil
}

// querySQL builds the statement and arguments of a Query at time now. The sort-key constraints are
// reduced to at most one lower and one upper bound, so SQLite scans exactly the range of the primary key
// the page can come from.
func querySQL(pk string, q store.Query, now int64) (string, []any) {
	var lo, hi struct {
		op, sk string
	}
	if q.Prefix != "" {
		lo.op, lo.sk = ">=", q.Prefix
		if end, ok := prefixEnd(q.Prefix); ok {
			hi.op, hi.sk = "<", end
		}
	}
	switch {
	case q.After == "":
	case !q.Desc && q.After >= q.Prefix:
		lo.op, lo.sk = ">", q.After
	case q.Desc && (hi.op == "" || q.After < hi.sk):
		hi.op, hi.sk = "<", q.After
	}
	var b strings.Builder
	b.WriteString(`SELECT sk, version, data, expires FROM items WHERE pk = ? AND (expires = 0 OR expires > ?)`)
	args := []any{pk, now}
	for _, bound := range []struct{ op, sk string }{lo, hi} {
		if bound.op != "" {
			fmt.Fprintf(&b, " AND sk %s ?", bound.op)
			args = append(args, bound.sk)
		}
	}
	b.WriteString(" ORDER BY sk")
	if q.Desc {
		b.WriteString(" DESC")
	}
	b.WriteString(" LIMIT ?")
	return b.String(), append(args, q.PageSize()+1)
}

// prefixEnd returns the least string greater, in byte order, than every string starting with prefix; ok
// is false when there is none (prefix is all 0xff bytes, which no valid key holds).
func prefixEnd(prefix string) (end string, ok bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
