package nomadbridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// ErrExists is returned (wrapped) by Client.Register when the job is already registered.
var ErrExists = errors.New("nomad job already registered")

// ErrRejected is returned (wrapped) when Nomad refuses a request for good (a 4xx other than a conflict):
// retrying the same request cannot help.
var ErrRejected = errors.New("nomad rejected the request")

// Client is what the bridge needs of Nomad. NewClient returns the adapter over github.com/hashicorp/nomad/api.
type Client interface {
	// Register registers a job only if no job has its id (ErrExists otherwise).
	Register(ctx context.Context, job *api.Job) error
	// Deregister stops a job, and with purge removes it from Nomad's state. A missing job is not an error.
	Deregister(ctx context.Context, jobID string, purge bool) error
	// Jobs lists the jobs whose id starts with prefix.
	Jobs(ctx context.Context, prefix string) ([]*api.JobListStub, error)
	// Allocations lists a job's allocations.
	Allocations(ctx context.Context, jobID string) ([]*api.AllocationListStub, error)
	// Nodes lists the client nodes with their drivers.
	Nodes(ctx context.Context) ([]*api.NodeListStub, error)
	// BlockedEvals counts the blocked evaluations of jobs whose id starts with prefix.
	BlockedEvals(ctx context.Context, prefix string) (int, error)
	// Events streams allocation events from index (0: from now) until ctx ends.
	Events(ctx context.Context, index uint64) (<-chan *api.Events, error)
	// PutVariable writes a Nomad Variable; DeleteVariable removes one (missing is not an error).
	PutVariable(ctx context.Context, path string, items map[string]string) error
	DeleteVariable(ctx context.Context, path string) error
}

// Config is how to reach Nomad: address, region, namespace, ACL token and mTLS material. Empty fields
// fall back to Nomad's own environment variables (NOMAD_ADDR, NOMAD_TOKEN, NOMAD_CACERT …) through
// api.DefaultConfig.
type Config struct {
	Address, Region, Namespace, Token string
	CACert, ClientCert, ClientKey     string // file paths
	TLSServerName                     string
	// HTTPClient replaces the default transport (tests); TLS settings are then ignored.
	HTTPClient *http.Client
}

// NewClient returns the Client adapter for c.
func NewClient(c Config) (Client, error) {
	cfg := api.DefaultConfig()
	if c.Address != "" {
		cfg.Address = c.Address
	}
	if c.Region != "" {
		cfg.Region = c.Region
	}
	if c.Namespace != "" {
		cfg.Namespace = c.Namespace
	}
	if c.Token != "" {
		cfg.SecretID = c.Token
	}
	if cfg.TLSConfig == nil {
		cfg.TLSConfig = &api.TLSConfig{}
	}
	if c.CACert != "" {
		cfg.TLSConfig.CACert = c.CACert
	}
	if c.ClientCert != "" {
		cfg.TLSConfig.ClientCert = c.ClientCert
	}
	if c.ClientKey != "" {
		cfg.TLSConfig.ClientKey = c.ClientKey
	}
	if c.TLSServerName != "" {
		cfg.TLSConfig.TLSServerName = c.TLSServerName
	}
	if c.HTTPClient != nil {
		cfg.HttpClient = c.HTTPClient
	}
	cl, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("nomad client for %s: %w", cfg.Address, err)
	}
	return &nomadClient{c: cl}, nil
}

type nomadClient struct{ c *api.Client }

func q(ctx context.Context) *api.QueryOptions  { return (&api.QueryOptions{}).WithContext(ctx) }
func wq(ctx context.Context) *api.WriteOptions { return (&api.WriteOptions{}).WithContext(ctx) }

// classify wraps Nomad's error so callers can tell a refusal from a transient failure.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var ue api.UnexpectedResponseError
	if errors.As(err, &ue) && ue.StatusCode() >= 400 && ue.StatusCode() < 500 && ue.StatusCode() != 409 &&
		ue.StatusCode() != 429 {
		return fmt.Errorf("%s: %w: %w", what, ErrRejected, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (n *nomadClient) Register(ctx context.Context, job *api.Job) error {
	_, _, err := n.c.Jobs().EnforceRegister(job, 0, wq(ctx))
	if err != nil && strings.Contains(err.Error(), api.RegisterEnforceIndexErrPrefix) {
		return fmt.Errorf("register job %s: %w", *job.ID, ErrExists)
	}
	return classify("register job "+*job.ID, err)
}

func (n *nomadClient) Deregister(ctx context.Context, jobID string, purge bool) error {
	_, _, err := n.c.Jobs().Deregister(jobID, purge, wq(ctx))
	if isNotFound(err) {
		return nil
	}
	return classify("deregister job "+jobID, err)
}

func (n *nomadClient) Jobs(ctx context.Context, prefix string) ([]*api.JobListStub, error) {
	o := q(ctx)
	o.Prefix = prefix
	jobs, _, err := n.c.Jobs().List(o)
	return jobs, classify("list jobs", err)
}

func (n *nomadClient) Allocations(ctx context.Context, jobID string) ([]*api.AllocationListStub, error) {
	as, _, err := n.c.Jobs().Allocations(jobID, true, q(ctx))
	if isNotFound(err) {
		return nil, nil
	}
	return as, classify("allocations of job "+jobID, err)
}

func (n *nomadClient) Nodes(ctx context.Context) ([]*api.NodeListStub, error) {
	o := q(ctx)
	o.Params = map[string]string{"resources": "false"}
	ns, _, err := n.c.Nodes().List(o)
	return ns, classify("list nodes", err)
}

func (n *nomadClient) BlockedEvals(ctx context.Context, prefix string) (int, error) {
	o := q(ctx)
	o.Filter = fmt.Sprintf(`Status == "blocked" and JobID matches %q`, "^"+regexpQuote(prefix))
	o.PerPage = 1
	evs, _, err := n.c.Evaluations().List(o)
	return len(evs), classify("list blocked evaluations", err)
}

func (n *nomadClient) Events(ctx context.Context, index uint64) (<-chan *api.Events, error) {
	ch, err := n.c.EventStream().Stream(ctx, map[api.Topic][]string{api.TopicAllocation: {"*"}}, index, q(ctx))
	return ch, classify("event stream", err)
}

func (n *nomadClient) PutVariable(ctx context.Context, path string, items map[string]string) error {
	_, _, err := n.c.Variables().Update(&api.Variable{Path: path, Items: items}, wq(ctx))
	return classify("write variable "+path, err)
}

func (n *nomadClient) DeleteVariable(ctx context.Context, path string) error {
	_, err := n.c.Variables().Delete(path, wq(ctx))
	if isNotFound(err) {
		return nil
	}
	return classify("delete variable "+path, err)
}

func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	var ue api.UnexpectedResponseError
	if errors.As(err, &ue) {
		return ue.StatusCode() == http.StatusNotFound
	}
	return strings.Contains(err.Error(), "response code: 404")
}

// regexpQuote escapes the regular-expression metacharacters a job id prefix may hold.
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
