package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/caravan-ci/caravan/shared/store"
)

// Write implements store.Store: one BEGIN IMMEDIATE transaction reads the item at each op's key, checks
// the op's condition and applies the op, and commits only if every condition held.
func (s *Store) Write(ctx context.Context, ops ...store.Op) error {
	if err := store.ValidOps(ops); err != nil {
		return fmt.Errorf("sqlitestore write: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlitestore write: %w", err)
	}
	if err := s.retry(ctx, func() error { return s.write(ctx, ops) }); err != nil {
		return fmt.Errorf("sqlitestore write of %d ops on %q/%q…: %w", len(ops), ops[0].Item.PK, ops[0].Item.SK, err)
	}
	return nil
}

func (s *Store) write(ctx context.Context, ops []store.Op) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() // after Commit, a no-op
	// The write lock is held from BEGIN IMMEDIATE on: now is within the transaction's place in the order
	// of writes.
	now := time.Now().UnixNano()
	cur, put, del := tx.StmtContext(ctx, s.cur), tx.StmtContext(ctx, s.put), tx.StmtContext(ctx, s.del)
	for i, op := range ops {
		k := op.Item.Key
		var version, expires int64
		switch err := cur.QueryRowContext(ctx, k.PK, k.SK).Scan(&version, &expires); {
		case errors.Is(err, sql.ErrNoRows):
			version = 0
		case err != nil:
			return fmt.Errorf("read %q/%q: %w", k.PK, k.SK, err)
		case expires != 0 && expires <= now:
			version = 0 // expired: absent
		}
		if !holds(op, version) {
			return fmt.Errorf("op %d on %q/%q: %w", i, k.PK, k.SK, store.ErrConflict)
		}
		switch op.Kind {
		case store.Put:
			_, err = put.ExecContext(ctx, k.PK, k.SK, version+1, op.Item.Data, nanos(op.Item.ExpiresAt))
		case store.Delete:
			_, err = del.ExecContext(ctx, k.PK, k.SK)
		}
		if err != nil {
			return fmt.Errorf("op %d on %q/%q: %w", i, k.PK, k.SK, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// holds reports whether op's condition holds for the live item at version (0: none).
func holds(op store.Op, version int64) bool {
	switch op.Cond {
	case store.Absent:
		return version == 0
	case store.AtVersion:
		return version != 0 && version == op.Version
	case store.Exists:
		return version != 0
	}
	return true
}

// Incr implements store.Store.
func (s *Store) Incr(ctx context.Context, k store.Key, delta int64) (int64, error) {
	if err := store.ValidKey(k); err != nil {
		return 0, fmt.Errorf("sqlitestore incr: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("sqlitestore incr %q/%q: %w", k.PK, k.SK, err)
	}
	var n int64
	err := s.retry(ctx, func() error {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer tx.Rollback()
		if err := tx.StmtContext(ctx, s.incr).QueryRowContext(ctx, k.PK, k.SK, delta).Scan(&n); err != nil {
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return 0, fmt.Errorf("sqlitestore incr %q/%q: %w", k.PK, k.SK, err)
	}
	return n, nil
}

// PurgeExpired deletes the items that expired before now and returns how many it deleted. Expired items
// are invisible whether or not they are purged; call it now and then to reclaim their space.
func (s *Store) PurgeExpired(ctx context.Context) (int64, error) {
	var n int64
	err := s.retry(ctx, func() error {
		res, err := s.w.ExecContext(ctx, `DELETE FROM items WHERE expires > 0 AND expires <= ?`, time.Now().UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlitestore purge expired items: %w", err)
	}
	return n, nil
}
