package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Personal API tokens: "CCIPAT_" and 32 random bytes in base64url (CircleCI's personal tokens start with
// CCIPAT_ too). Only their SHA-256 is stored, under token#<hash> / token and, to find them by label,
// user#<id>#tokens / <label>. A token is shown once, when it is made: POST /api/v2/me/tokens {label} for
// the caller, POST /api/v2/admin/tokens {login?, label} for anyone (server admins); DELETE on the same
// paths with ?label= (and ?login= for admins) revokes one.

func userTokenKey(userID, label string) store.Key {
	return store.Key{PK: "user#" + userID + "#tokens", SK: label}
}

// newToken makes a personal token for a user; the token itself is returned once and never stored.
func newToken(userID, label string, now time.Time) (string, []store.Op, error) {
	if label == "" || len(label) > 100 {
		return "", nil, errorf(http.StatusBadRequest, "A token label of 1 to 100 characters is required.")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("new token: %w", err)
	}
	tok := "CCIPAT_" + base64.RawURLEncoding.EncodeToString(b[:])
	t := domain.Token{Hash: HashToken(tok), UserID: userID, Label: label, CreatedAt: now}
	return tok, []store.Op{repo.Create(repo.TokenKey(t.Hash), t), repo.Create(userTokenKey(userID, label), t)}, nil
}

// tokenOwner is whom a token request is about: the caller, or (admins only) the user named by login.
func (a *API) tokenOwner(ctx context.Context, c *Caller, login string, asAdmin bool) (domain.User, error) {
	if !asAdmin || login == "" || login == c.User.Login {
		return c.User, nil
	}
	return a.userByLogin(ctx, login)
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request, c *Caller, asAdmin bool) error {
	var body struct{ Login, Label string }
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	u, err := a.tokenOwner(r.Context(), c, body.Login, asAdmin)
	if err != nil {
		return err
	}
	tok, ops, err := newToken(u.ID, body.Label, a.d.Now())
	if err != nil {
		return err
	}
	if err := a.created(r.Context(), ops, "A token labelled "+strconv.Quote(body.Label)+" exists already."); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"token": tok, "label": body.Label, "login": u.Login})
	return nil
}

func (a *API) deleteToken(w http.ResponseWriter, r *http.Request, c *Caller, asAdmin bool) error {
	ctx := r.Context()
	label, login := r.URL.Query().Get("label"), r.URL.Query().Get("login")
	u, err := a.tokenOwner(ctx, c, login, asAdmin)
	if err != nil {
		return err
	}
	t, err := repo.Get[domain.Token](ctx, a.d.Repo, userTokenKey(u.ID, label))
	if repo.IsNotFound(err) || label == "" {
		return errorf(http.StatusNotFound, "No token labelled %q.", label)
	}
	if err != nil {
		return err
	}
	del := func(k store.Key) store.Op { return store.Op{Kind: store.Delete, Item: store.Item{Key: k}} }
	if err := a.d.Repo.Write(ctx, del(t.Key), del(repo.TokenKey(t.V.Hash))); err != nil {
		return err
	}
	writeMessage(w, "Token deleted.")
	return nil
}
