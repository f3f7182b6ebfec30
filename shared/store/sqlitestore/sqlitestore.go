package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"runtime"
	"time"

	"modernc.org/sqlite"

	"github.com/caravan-ci/caravan/shared/store"
)

const (
	schemaVersion = 1
	busyTimeout   = 10 * time.Second
	maxBusyRetry  = 10 // attempts after the busy handler gave up
)

var schema = []string{
	`CREATE TABLE IF NOT EXISTS items (
		pk      TEXT    NOT NULL,
		sk      TEXT    NOT NULL,
		version INTEGER NOT NULL,
		data    BLOB,
		expires INTEGER NOT NULL,
		PRIMARY KEY (pk, sk)
	) WITHOUT ROWID, STRICT`,
	`CREATE INDEX IF NOT EXISTS items_expires ON items (expires) WHERE expires > 0`,
	`CREATE TABLE IF NOT EXISTS counters (
		pk    TEXT    NOT NULL,
		sk    TEXT    NOT NULL,
		value INTEGER NOT NULL,
		PRIMARY KEY (pk, sk)
	) WITHOUT ROWID, STRICT`,
	fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion),
}

const (
	sqlGet = `SELECT version, data, expires FROM items WHERE pk = ?1 AND sk = ?2 AND (expires = 0 OR expires > ?3)`
	sqlCur = `SELECT version, expires FROM items WHERE pk = ?1 AND sk = ?2`
	sqlPut = `INSERT INTO items (pk, sk, version, data, expires) VALUES (?1, ?2, ?3, ?4, ?5)
		ON CONFLICT (pk, sk) DO UPDATE SET version = excluded.version, data = excluded.data, expires = excluded.expires`
	sqlDel  = `DELETE FROM items WHERE pk = ?1 AND sk = ?2`
	sqlIncr = `INSERT INTO counters (pk, sk, value) VALUES (?1, ?2, ?3)
		ON CONFLICT (pk, sk) DO UPDATE SET value = value + excluded.value RETURNING value`
)

// Store is a store.Store over one SQLite file. It is safe for concurrent use, and several Stores, in one
// process or many, may share a file. The zero value is not usable; call Open.
type Store struct {
	path string
	w    *sql.DB // one connection: every write, in BEGIN IMMEDIATE transactions
	r    *sql.DB // read-only connections

	get, cur, put, del, incr *sql.Stmt
}

var _ store.Store = (*Store)(nil)

// Open opens the store in the SQLite file at path, creating the file and its tables if needed.
func Open(path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore open %s: %w", path, err)
	}
	s := &Store{path: abs}
	if err := s.open(); err != nil {
		return nil, errors.Join(fmt.Errorf("sqlitestore open %s: %w", abs, err), s.Close())
	}
	return s, nil
}

func (s *Store) open() error {
	pragmas := []string{fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds())}
	var err error
	s.w, err = sql.Open("sqlite", dsn(s.path, append(pragmas, "journal_mode(WAL)", "synchronous(NORMAL)"), true))
	if err != nil {
		return err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.migrate(); err != nil {
		return err
	}
	s.r, err = sql.Open("sqlite", dsn(s.path, append(pragmas, "query_only(1)"), false))
	if err != nil {
		return err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	s.r.SetConnMaxIdleTime(0)
	for _, p := range []struct {
		stmt **sql.Stmt
		db   *sql.DB
		sql  string
	}{{&s.get, s.r, sqlGet}, {&s.cur, s.w, sqlCur}, {&s.put, s.w, sqlPut}, {&s.del, s.w, sqlDel}, {&s.incr, s.w, sqlIncr}} {
		if *p.stmt, err = p.db.Prepare(p.sql); err != nil {
			return fmt.Errorf("prepare %q: %w", p.sql, err)
		}
	}
	return nil
}

// dsn is the driver's name for the file at path: a file: URI (so any path is safe) with the driver's
// options in its query.
func dsn(path string, pragmas []string, immediate bool) string {
	q := url.Values{"_pragma": pragmas}
	if immediate {
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: q.Encode()}
	if u.Path[0] != '/' { // a Windows volume: file:///C:/...
		u.Path = "/" + u.Path
	}
	return u.String()
}

// migrate creates the tables, or checks those of an existing file.
func (s *Store) migrate() error {
	ctx := context.Background()
	return s.retry(ctx, func() error {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var v int
		if err := tx.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		switch v {
		case schemaVersion:
			return nil
		case 0:
		default:
			return fmt.Errorf("file has schema version %d, this build knows only %d", v, schemaVersion)
		}
		for _, stmt := range schema {
			if _, err := tx.Exec(stmt); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
		}
		return tx.Commit()
	})
}

// Close closes the file. It waits for calls in progress; calls after it fail.
func (s *Store) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.get, s.cur, s.put, s.del, s.incr} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	for _, db := range []*sql.DB{s.r, s.w} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlitestore close %s: %w", s.path, err)
	}
	return nil
}

// retry runs fn until it returns anything but SQLITE_BUSY or SQLITE_LOCKED, backing off between attempts.
// SQLite's busy handler already waits busyTimeout for locks; this covers the cases where SQLite returns
// busy without calling it (a WAL being recovered or checkpointed by another process).
func (s *Store) retry(ctx context.Context, fn func() error) error {
	delay := time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !busy(err) || attempt > maxBusyRetry {
			return err
		}
		t := time.NewTimer(delay + rand.N(delay))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		case <-t.C:
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// busy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED, with any extended code.
func busy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	code := e.Code() & 0xff
	return code == 5 || code == 6 // SQLITE_BUSY, SQLITE_LOCKED
}

// nanos is how expires holds t: 0 for never, otherwise Unix nanoseconds clamped to [1, MaxInt64].
func nanos(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case !t.After(time.Unix(0, 0)):
		return 1 // long past
	case t.After(time.Unix(0, 1<<63-1)):
		return 1<<63 - 1
	}
	return t.UnixNano()
}

// expiresAt is the ExpiresAt of an expires column.
func expiresAt(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
