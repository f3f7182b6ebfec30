package notifier

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/secrets"
)

// Topic is the queue topic of webhook deliveries; run Handle over it with queue.Consume.
const Topic = "notify"

// Delivery headers and limits.
const (
	EventTypeHeader = "circleci-event-type"
	UserAgent       = "Caravan-Webhook/1"
	DefaultTimeout  = 10 * time.Second
)

// Sender is the part of queue.Queue the notifier sends with.
type Sender interface {
	Send(ctx context.Context, topic string, msgs ...queue.Message) error
}

// Opener unseals a webhook's secret; *secrets.Envelope is one.
type Opener interface {
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// SecretAAD is the associated data webhook secrets are sealed with: seal a webhook's secret with
// Envelope.Seal(ctx, secret, SecretAAD(webhook.ID)) so the notifier can open it.
func SecretAAD(webhookID string) []byte { return []byte("webhook/" + webhookID + "/secret") }

// Delivery is the queue message of one webhook delivery. The secret stays sealed.
type Delivery struct {
	WebhookID    string          `json:"webhook_id"`
	URL          string          `json:"url"`
	SealedSecret []byte          `json:"sealed_secret,omitempty"`
	VerifyTLS    bool            `json:"verify_tls"`
	EventID      string          `json:"event_id"`
	EventType    string          `json:"event_type"`
	Body         json.RawMessage `json:"body"`
}

// Notifier enqueues and delivers outbound webhooks. Safe for concurrent use.
type Notifier struct {
	q        Sender
	opener   Opener
	secure   *http.Client
	insecure *http.Client // for webhooks with VerifyTLS off
	log      *slog.Logger
	// Timeout bounds one POST (DefaultTimeout). Set it before use.
	Timeout time.Duration
}

// New returns a Notifier sending on q and unsealing secrets with opener. client may be nil
// (http.DefaultTransport is used); it is copied, not modified. Redirects are not followed: a 3xx is a failed
// delivery. Webhooks with VerifyTLS off use a copy of the client's transport that skips certificate
// verification (when that transport is an *http.Transport; any other is used as is).
func New(q Sender, opener Opener, client *http.Client, log *slog.Logger) *Notifier {
	if client == nil {
		client = &http.Client{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	secure := *client
	secure.CheckRedirect = noRedirect
	insecure := secure
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if t, ok := base.(*http.Transport); ok {
		t = t.Clone()
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{}
		}
		t.TLSClientConfig.InsecureSkipVerify = true
		insecure.Transport = t
	}
	return &Notifier{q: q, opener: opener, secure: &secure, insecure: &insecure, log: log, Timeout: DefaultTimeout}
}

// Enqueue sends one delivery of ev to each webhook of hooks subscribed to ev.Type, in one Send. Each delivery
// gets its own webhook reference and event id. Webhooks of another project than ev's are skipped.
func (n *Notifier) Enqueue(ctx context.Context, hooks []domain.Webhook, ev Event) error {
	var msgs []queue.Message
	for _, h := range hooks {
		if !slices.Contains(h.Events, ev.Type) {
			continue
		}
		if h.ProjectID != "" && ev.Project.ID != "" && h.ProjectID != ev.Project.ID {
			n.log.Warn("webhook of another project skipped", "webhook", h.ID, "project", ev.Project.ID)
			continue
		}
		e := ev
		e.Webhook = WebhookRef{ID: h.ID, Name: h.Name}
		e.ID = eventID(e)
		body, err := encode(e)
		if err != nil {
			return fmt.Errorf("notify: encode %s event for webhook %s: %w", ev.Type, h.ID, err)
		}
		d := Delivery{WebhookID: h.ID, URL: h.URL, SealedSecret: h.SealedSecret, VerifyTLS: h.VerifyTLS,
			EventID: e.ID, EventType: e.Type, Body: body}
		raw, err := encode(d)
		if err != nil {
			return fmt.Errorf("notify: encode delivery for webhook %s: %w", h.ID, err)
		}
		m := queue.Message{ID: e.ID, Body: raw}
		if err := queue.ValidMessage(m); err != nil {
			return fmt.Errorf("notify: %s event %s for webhook %s: %w", ev.Type, e.ID, h.ID, err)
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := n.q.Send(ctx, Topic, msgs...); err != nil {
		return fmt.Errorf("notify: enqueue %d %s deliveries: %w", len(msgs), ev.Type, err)
	}
	return nil
}

// Handle delivers one queued webhook: it POSTs the body, signed with the unsealed secret (unsigned when the
// webhook has none). A 2xx is success; anything else, or a network error, returns an error so the queue
// retries. Malformed messages and secrets that cannot be decrypted return a queue.Permanent error.
func (n *Notifier) Handle(ctx context.Context, qd queue.Delivery) error {
	var d Delivery
	if err := json.Unmarshal(qd.Body, &d); err != nil {
		return queue.Permanent(fmt.Errorf("notify: decode delivery %s: %w", qd.ID, err))
	}
	log := n.log.With("webhook", d.WebhookID, "event", d.EventID, "type", d.EventType, "attempt", qd.Attempt)
	if u, err := url.Parse(d.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return queue.Permanent(fmt.Errorf("notify: webhook %s: bad url %q", d.WebhookID, d.URL))
	}
	var secret []byte
	if len(d.SealedSecret) > 0 {
		if n.opener == nil {
			return fmt.Errorf("notify: webhook %s: signed but the notifier has no opener", d.WebhookID)
		}
		s, err := n.opener.Open(ctx, d.SealedSecret, SecretAAD(d.WebhookID))
		if err != nil {
			err = fmt.Errorf("notify: webhook %s: open secret: %w", d.WebhookID, err)
			if errors.Is(err, secrets.ErrDecrypt) {
				return queue.Permanent(err)
			}
			return err
		}
		secret = s
	}
	status, err := n.post(ctx, d, secret)
	if err != nil {
		return fmt.Errorf("notify: webhook %s: deliver event %s: %w", d.WebhookID, d.EventID, err)
	}
	if status >= 200 && status < 300 {
		log.Debug("webhook delivered", "status", status)
		return nil
	}
	if status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests {
		log.Warn("webhook receiver rejected the delivery; retrying anyway", "status", status, "url", redact(d.URL))
	}
	return fmt.Errorf("notify: webhook %s: deliver event %s: status %d", d.WebhookID, d.EventID, status)
}

func (n *Notifier) post(ctx context.Context, d Delivery, secret []byte) (int, error) {
	timeout := n.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(EventTypeHeader, d.EventType)
	if secret != nil {
		req.Header.Set(SignatureHeader, Sign(secret, d.Body))
	}
	c := n.secure
	if !d.VerifyTLS {
		c = n.insecure
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) { // its message holds the full url, which may carry credentials
			err = ue.Err
		}
		return 0, fmt.Errorf("post %s: %w", redact(d.URL), err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // drain a little for connection reuse
	return resp.StatusCode, nil
}

// encode marshals v as CircleCI does, without escaping <, > and & (the body is not HTML).
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// redact drops a URL's user information and query, which may hold credentials, for logs and errors.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<invalid url>"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
