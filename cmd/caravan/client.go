package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The client commands (org, project, user, member, token, context, envvar, orb import, trigger) talk to a
// Caravan server's API v2 over HTTP. Each prints short text, or the server's JSON with --json. Exit codes:
// 0 done, 1 the server refused or could not be reached (or a waited-for pipeline did not succeed), 2 usage.

const (
	defaultHost    = "http://127.0.0.1:8080"
	adminTokenFile = ".caravan/admin.token" // written by `caravan server` (make run) in its data directory
	maxResponse    = 32 << 20
	maxPages       = 10000
	requestTimeout = 2 * time.Minute
)

// stdio are a command's standard streams.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// clientCommands are the commands that talk to a server, by their words; each gets the arguments after them.
var clientCommands = map[string]func(context.Context, []string, stdio) int{
	"org create":     orgCreate,
	"org list":       orgList,
	"project create": projectCreate,
	"project list":   projectList,
	"user create":    userCreate,
	"member add":     memberAdd,
	"token create":   tokenCreate,
	"token revoke":   tokenRevoke,
	"context create": contextCreate,
	"context list":   contextList,
	"context set":    contextSet,
	"context unset":  contextUnset,
	"envvar set":     envvarSet,
	"envvar list":    envvarList,
	"orb import":     orbImport,
	"trigger":        triggerCmd,
}

// clientCmd runs the client command args name (args[0] is its first word).
func clientCmd(ctx context.Context, args []string, std stdio) int {
	if f, ok := clientCommands[args[0]]; ok {
		return f(ctx, args[1:], std)
	}
	if len(args) > 1 {
		if f, ok := clientCommands[args[0]+" "+args[1]]; ok {
			return f(ctx, args[2:], std)
		}
		fmt.Fprintf(std.err, "caravan %s: unknown command %q\n\n", args[0], args[1])
	}
	fmt.Fprintln(std.err, "usage:")
	for _, line := range strings.Split(usage, "\n") {
		if strings.HasPrefix(line, "  "+args[0]+" ") {
			fmt.Fprintln(std.err, line)
		}
	}
	return exitUsage
}

// session is one run of a client command: its flags, then its connection to the server.
type session struct {
	ctx      context.Context
	name     string // "org create"
	synopsis string // the arguments, as the usage line shows them
	std      stdio
	fs       *flag.FlagSet
	host     string
	token    string
	asJSON   bool
	code     int // the exit code when parse fails
	api      *apiClient
}

func newSession(ctx context.Context, name, synopsis string, std stdio) *session {
	s := &session{ctx: ctx, name: name, synopsis: synopsis, std: std}
	s.fs = flag.NewFlagSet("caravan "+name, flag.ContinueOnError)
	s.fs.SetOutput(std.err)
	s.fs.StringVar(&s.host, "host", envOr("CARAVAN_HOST", envOr("CIRCLECI_CLI_HOST", defaultHost)),
		"server URL (env CARAVAN_HOST, then CIRCLECI_CLI_HOST)")
	s.fs.StringVar(&s.token, "token", "",
		"API token (default: env CARAVAN_TOKEN, then CIRCLECI_CLI_TOKEN, then the file "+adminTokenFile+")")
	s.fs.BoolVar(&s.asJSON, "json", false, "print the server's JSON")
	s.fs.Usage = func() {
		fmt.Fprintf(std.err, "usage: caravan %s %s\n\nflags:\n", name, synopsis)
		s.fs.PrintDefaults()
	}
	return s
}

// parse parses args (flags may come after the positional arguments, of which there must be want). When it
// returns false, the command returns s.code.
func (s *session) parse(args []string, want int) ([]string, bool) {
	if err := s.fs.Parse(reorder(s.fs, args)); err != nil {
		s.code = exitUsage
		if errors.Is(err, flag.ErrHelp) {
			s.code = exitOK
		}
		return nil, false
	}
	if s.fs.NArg() != want {
		s.fs.Usage()
		s.code = exitUsage
		return nil, false
	}
	return s.fs.Args(), true
}

// errNoToken is a usage error: the command has no token to call the server with.
var errNoToken = errors.New("no API token: pass --token, set CARAVAN_TOKEN, or run where " + adminTokenFile +
	" is (make run writes it)")

// connect resolves the connection, at the first call (after the command has checked its arguments).
func (s *session) connect() error {
	if s.api != nil {
		return nil
	}
	tok, err := resolveToken(s.token)
	if err != nil {
		return err
	}
	if tok == "" {
		return errNoToken
	}
	s.api = &apiClient{host: normalizeHost(s.host), token: tok, hc: &http.Client{Timeout: requestTimeout}}
	return nil
}

// usageError reports a misuse of the command.
func (s *session) usageError(format string, args ...any) int {
	fmt.Fprintf(s.std.err, "caravan %s: %s\nusage: caravan %s %s\n", s.name, fmt.Sprintf(format, args...), s.name, s.synopsis)
	return exitUsage
}

// fail reports a failed command.
func (s *session) fail(err error) int {
	fmt.Fprintf(s.std.err, "caravan %s: %v\n", s.name, err)
	if errors.Is(err, errNoToken) {
		return exitUsage
	}
	return exitInvalid
}

// call sends a request and decodes the answer into out (if not nil); it returns the answer as sent.
func (s *session) call(method, path string, body, out any) (json.RawMessage, error) {
	if err := s.connect(); err != nil {
		return nil, err
	}
	raw, err := s.api.call(s.ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("decode the answer to %s %s: %w", method, path, err)
		}
	}
	return raw, nil
}

// list reads every page of a list endpoint and decodes the items into out (a pointer to a slice).
func (s *session) list(path string, query url.Values, out any) ([]json.RawMessage, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", "100")
	items := []json.RawMessage{}
	for range maxPages {
		var page struct {
			Items         []json.RawMessage `json:"items"`
			NextPageToken *string           `json:"next_page_token"`
		}
		if _, err := s.call("GET", path+"?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		items = append(items, page.Items...)
		if page.NextPageToken == nil || *page.NextPageToken == "" {
			break
		}
		q.Set("page-token", *page.NextPageToken)
	}
	if out != nil {
		b, _ := json.Marshal(items)
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("decode the list %s: %w", path, err)
		}
	}
	return items, nil
}

// emit prints v as indented JSON with --json, else runs human.
func (s *session) emit(v any, human func(w io.Writer)) int {
	if !s.asJSON {
		human(s.std.out)
		return exitOK
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return s.fail(fmt.Errorf("encode JSON: %w", err))
	}
	s.std.out.Write(append(b, '\n'))
	return exitOK
}

// reorder moves flags before the positional arguments, so that both orders work; unlike interleave, it
// knows which flags take no value.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if f := fs.Lookup(name); f != nil && !hasValue && !isBoolFlag(f) && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(append(flags, "--"), pos...)
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
