package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/caravan-ci/caravan/shared/intake"
)

// maxWebhook is GitHub's own cap on a delivery's payload.
const maxWebhook = 25 << 20

// hookRoutes registers the inbound VCS webhooks: POST /hooks/github and POST /hooks/gitlab. They carry no
// API token; the delivery's signature (GitHub) or secret token (GitLab), checked against the project's
// webhook secret, is the authentication.
func (a *API) hookRoutes() {
	a.handlePublic("POST /hooks/{provider}", func(w http.ResponseWriter, r *http.Request) error {
		provider := r.PathValue("provider")
		if provider != "github" && provider != "gitlab" {
			return errorf(http.StatusNotFound, "Unknown webhook provider %q: use github or gitlab.", provider)
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhook))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "Webhook payload exceeds %d bytes.", maxWebhook)
		}
		if err != nil {
			return errorf(http.StatusBadRequest, "Cannot read the webhook payload: %v", err)
		}
		res, err := a.d.Intake.Webhook(r.Context(), provider, r.Header, body)
		switch {
		case errors.Is(err, intake.ErrSignature):
			return errorf(http.StatusUnauthorized, "Webhook signature does not match: %v", err)
		case errors.Is(err, intake.ErrInvalid):
			return errorf(http.StatusBadRequest, "Webhook not understood: %v", err)
		case err != nil:
			return err
		}
		writeJSON(w, http.StatusAccepted, res)
		return nil
	})
}
