package server

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/caravan-ci/caravan/nomadbridge"
	"github.com/caravan-ci/caravan/shared/blob/fileblob"
	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/queue/sqlitequeue"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/secrets"
	"github.com/caravan-ci/caravan/shared/secrets/localkey"
	"github.com/caravan-ci/caravan/shared/store/sqlitestore"
	"github.com/caravan-ci/caravan/shared/taskserver"
	"github.com/caravan-ci/caravan/shared/tasktoken"
)

// Execution is what an executor process beside an embedded server needs (a standalone nomadbridge): the
// server's queue, its task transitions and its task tokens, opened from the server's data directory.
// SQLite lets both processes share the files.
type Execution struct {
	Queue  queue.Queue
	Tasks  nomadbridge.Tasks
	Tokens *tasktoken.Issuer
	close  []func() error
}

// OpenExecution opens the data directory of a server that already ran once (its keys must exist).
func OpenExecution(dataDir, apiURL string, log *slog.Logger) (_ *Execution, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	e := &Execution{}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	root, err := readKey(filepath.Join(dir, "signing.key"))
	if err != nil {
		return nil, fmt.Errorf("open %s (start caravan server on it first): %w", dir, err)
	}
	st, err := sqlitestore.Open(filepath.Join(dir, "store.db"))
	if err != nil {
		return nil, err
	}
	e.close = append(e.close, st.Close)
	q, err := sqlitequeue.Open(filepath.Join(dir, "queue.db"), sqlitequeue.Options{})
	if err != nil {
		return nil, err
	}
	e.close = append(e.close, q.Close)
	e.Queue = q
	blobs, err := fileblob.New(filepath.Join(dir, "blobs"), apiURL, subkey(root, "blob-presign"))
	if err != nil {
		return nil, err
	}
	e.close = append(e.close, blobs.Close)
	ks, err := localkey.Open(filepath.Join(dir, "master.key"))
	if err != nil {
		return nil, err
	}
	if e.Tokens, err = tasktoken.New(subkey(root, "task-token")); err != nil {
		return nil, err
	}
	r := repo.New(st)
	sec := secrets.NewEnvelope(ks)
	cond := conductor.New(r, q, conductor.Options{Log: log})
	ts := taskserver.New(taskserver.Deps{Repo: r, Jobs: cond, Blobs: blobs, Secrets: sec, Tokens: e.Tokens,
		WebURL: apiURL, Log: log})
	e.Tasks = BridgeTasks(cond, r, ts)
	return e, nil
}

// Close closes the adapters.
func (e *Execution) Close() error {
	var errs []error
	for i := len(e.close) - 1; i >= 0; i-- {
		errs = append(errs, e.close[i]())
	}
	e.close = nil
	return errors.Join(errs...)
}
