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
	a, err := openAdapters(dir, apiURL, root)
	e.close = a.close
	if err != nil {
		return nil, err
	}
	e.Queue, e.Tokens = a.queue, a.tokens
	r := repo.New(a.store)
	cond := conductor.New(r, a.queue, conductor.Options{Log: log})
	ts := taskserver.New(taskserver.Deps{Repo: r, Jobs: cond, Blobs: a.blobs, Secrets: a.secrets, Tokens: e.Tokens,
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

// adapters are the embedded adapters of a data directory, as the server and executor processes open them.
type adapters struct {
	store   *sqlitestore.Store
	queue   *sqlitequeue.Queue
	blobs   *fileblob.Store
	secrets *secrets.Envelope
	tokens  *tasktoken.Issuer
	close   []func() error // in opening order; what opened before an error is still listed
}

// openAdapters opens the store, queue, blobs, key file and task-token issuer under dir; url is the server's
// base URL (for presigned blob URLs) and root its signing key. The result is never nil: on an error its
// close list holds what was opened.
func openAdapters(dir, url string, root []byte) (*adapters, error) {
	a := &adapters{}
	var err error
	if a.store, err = sqlitestore.Open(filepath.Join(dir, "store.db")); err != nil {
		return a, err
	}
	a.close = append(a.close, a.store.Close)
	if a.queue, err = sqlitequeue.Open(filepath.Join(dir, "queue.db"), sqlitequeue.Options{}); err != nil {
		return a, err
	}
	a.close = append(a.close, a.queue.Close)
	if a.blobs, err = fileblob.New(filepath.Join(dir, "blobs"), url, subkey(root, "blob-presign")); err != nil {
		return a, err
	}
	a.close = append(a.close, a.blobs.Close)
	ks, err := localkey.Open(filepath.Join(dir, "master.key"))
	if err != nil {
		return a, err
	}
	a.secrets = secrets.NewEnvelope(ks)
	if a.tokens, err = tasktoken.New(subkey(root, "task-token")); err != nil {
		return a, err
	}
	return a, nil
}
