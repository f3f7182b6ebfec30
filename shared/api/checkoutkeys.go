package api

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Checkout keys: GET|POST /project/{slug}/checkout-key, GET|DELETE /project/{slug}/checkout-key/{fingerprint}.
// Caravan generates ed25519 keys; the private key is sealed and never returned. The newest key is the
// preferred one, the key the checkout step uses. Fingerprints are SHA256 ones ("SHA256:…", URL-escape the
// '/' it may hold); lookups also accept the legacy MD5 form ("aa:bb:…" or "MD5:aa:bb:…").

// maxCheckoutKeys bounds a project's keys, so that making a new key preferred fits in one write.
const maxCheckoutKeys = 50

type checkoutKeyView struct {
	PublicKey   string    `json:"public-key"`
	Type        string    `json:"type"`
	Fingerprint string    `json:"fingerprint"`
	Preferred   bool      `json:"preferred"`
	CreatedAt   time.Time `json:"created-at"`
}

func checkoutKeyOf(k domain.CheckoutKey) checkoutKeyView {
	return checkoutKeyView{PublicKey: k.PublicKey, Type: k.Type, Fingerprint: k.Fingerprint, Preferred: k.Preferred,
		CreatedAt: k.CreatedAt}
}

func (a *API) checkoutKeyRoutes() {
	const base = "/api/v2/project/{vcs}/{org}/{repo}/checkout-key"
	a.handle("GET "+base, func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		p, err := a.project(r, c, domain.RoleMember)
		if err != nil {
			return err
		}
		return listPage(w, r, a.d.Repo, repo.CheckoutKeysPK(p.V.ID), checkoutKeyOf)
	})
	a.handle("POST "+base, a.createCheckoutKey)
	a.handle("GET "+base+"/{fingerprint}", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		p, err := a.project(r, c, domain.RoleMember)
		if err != nil {
			return err
		}
		k, err := a.checkoutKey(r.Context(), p.V.ID, r.PathValue("fingerprint"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, checkoutKeyOf(k.V))
		return nil
	})
	a.handle("DELETE "+base+"/{fingerprint}", a.deleteCheckoutKey)
}

func (a *API) createCheckoutKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	p, err := a.project(r, c, domain.RoleAdmin)
	if err != nil {
		return err
	}
	var body struct {
		Type string `json:"type"`
	}
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	if body.Type != "deploy-key" && body.Type != "user-key" {
		return errorf(http.StatusBadRequest, "type must be deploy-key or user-key.")
	}
	ctx := r.Context()
	others, err := repo.ListAll[domain.CheckoutKey](ctx, a.d.Repo, repo.CheckoutKeysPK(p.V.ID), "")
	if err != nil {
		return err
	}
	if len(others) >= maxCheckoutKeys {
		return errorf(http.StatusConflict, "This project has %d checkout keys, the most it may have; delete one first.", len(others))
	}
	key, err := newSSHKey("caravan " + p.V.Slug)
	if err != nil {
		return err
	}
	sealed, err := a.d.Secrets.Seal(ctx, key.Private, repo.CheckoutKeyAAD(p.V.ID, key.Fingerprint))
	if err != nil {
		return err
	}
	ck := domain.CheckoutKey{Fingerprint: key.Fingerprint, Type: body.Type, PublicKey: key.Public, Sealed: sealed,
		Preferred: true, CreatedAt: a.d.Now()}
	ops := []store.Op{repo.Create(repo.CheckoutKeyKey(p.V.ID, ck.Fingerprint), ck)}
	for _, o := range others {
		if o.V.Preferred {
			o.V.Preferred = false
			ops = append(ops, repo.Update(o))
		}
	}
	if err := a.d.Repo.Write(ctx, ops...); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, checkoutKeyOf(ck))
	return nil
}

func (a *API) deleteCheckoutKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	p, err := a.project(r, c, domain.RoleAdmin)
	if err != nil {
		return err
	}
	ctx := r.Context()
	k, err := a.checkoutKey(ctx, p.V.ID, r.PathValue("fingerprint"))
	if err != nil {
		return err
	}
	ops := []store.Op{{Kind: store.Delete, Item: store.Item{Key: k.Key}, Cond: store.AtVersion, Version: k.Version}}
	if k.V.Preferred { // the newest remaining key takes over
		rest, err := repo.ListAll[domain.CheckoutKey](ctx, a.d.Repo, repo.CheckoutKeysPK(p.V.ID), "")
		if err != nil {
			return err
		}
		rest = slicesDeleteKey(rest, k.Key)
		if len(rest) > 0 {
			sort.Slice(rest, func(i, j int) bool { return rest[i].V.CreatedAt.After(rest[j].V.CreatedAt) })
			rest[0].V.Preferred = true
			ops = append(ops, repo.Update(rest[0]))
		}
	}
	if err := a.d.Repo.Write(ctx, ops...); err != nil {
		return err
	}
	writeMessage(w, "ok")
	return nil
}

func slicesDeleteKey(recs []repo.Rec[domain.CheckoutKey], k store.Key) []repo.Rec[domain.CheckoutKey] {
	out := recs[:0]
	for _, r := range recs {
		if r.Key != k {
			out = append(out, r)
		}
	}
	return out
}

// checkoutKey finds a project's key by its SHA256 fingerprint (with or without the "SHA256:" prefix) or
// its MD5 one.
func (a *API) checkoutKey(ctx context.Context, projectID, fp string) (repo.Rec[domain.CheckoutKey], error) {
	notFound := errorf(http.StatusNotFound, "Checkout key not found.")
	md5fp, isMD5 := strings.CutPrefix(fp, "MD5:")
	if !isMD5 && len(fp) == 47 && strings.Count(fp, ":") == 15 {
		isMD5 = true
	}
	if !isMD5 {
		if !strings.HasPrefix(fp, "SHA256:") {
			fp = "SHA256:" + fp
		}
		k, err := repo.Get[domain.CheckoutKey](ctx, a.d.Repo, repo.CheckoutKeyKey(projectID, fp))
		if repo.IsNotFound(err) {
			return k, notFound
		}
		return k, err
	}
	all, err := repo.ListAll[domain.CheckoutKey](ctx, a.d.Repo, repo.CheckoutKeysPK(projectID), "")
	if err != nil {
		return repo.Rec[domain.CheckoutKey]{}, err
	}
	for _, k := range all {
		if blob, err := publicBlob(k.V.PublicKey); err == nil && fingerprintMD5(blob) == strings.ToLower(md5fp) {
			return k, nil
		}
	}
	return repo.Rec[domain.CheckoutKey]{}, notFound
}
