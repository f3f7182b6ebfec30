package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// Server administration: orgs, projects, users, memberships (/api/v2/admin/...) and personal tokens.

type orgView struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
	VCS  string `json:"vcs"`
}

type projectView struct {
	ID               string `json:"id"`
	Slug             string `json:"slug"`
	RepoURL          string `json:"repo_url"`
	DefaultBranch    string `json:"default_branch"`
	ConfigPath       string `json:"config_path"`
	HasWebhookSecret bool   `json:"has_webhook_secret"`
}

// table writes rows aligned in columns.
func table(w io.Writer, header string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

func orgCreate(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "org create", "NAME [--vcs github|gitlab|local]", std)
	vcs := s.fs.String("vcs", "github", "the organization's VCS: github, gitlab or local (repositories on the server's disk)")
	pos, ok := s.parse(args, 1)
	if !ok {
		return s.code
	}
	var o orgView
	raw, err := s.call("POST", "/api/v2/admin/orgs", map[string]string{"name": pos[0], "vcs": *vcs}, &o)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) { fmt.Fprintf(w, "Created organization %s (id %s)\n", o.Slug, o.ID) })
}

func orgList(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "org list", "", std)
	if _, ok := s.parse(args, 0); !ok {
		return s.code
	}
	var orgs []orgView
	raw, err := s.list("/api/v2/admin/orgs", nil, &orgs)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) {
		if len(orgs) == 0 {
			fmt.Fprintln(w, "No organizations.")
			return
		}
		rows := make([][]string, 0, len(orgs))
		for _, o := range orgs {
			rows = append(rows, []string{o.Slug, o.VCS, o.ID})
		}
		table(w, "SLUG\tVCS\tID", rows)
	})
}

func projectCreate(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "project create",
		"ORG_SLUG NAME --repo URL_OR_PATH [--default-branch main] [--webhook-secret-file F]", std)
	repo := s.fs.String("repo", "", "repository URL, or path of a git repository on the server's disk (required)")
	branch := s.fs.String("default-branch", "main", "the default branch")
	configPath := s.fs.String("config-path", "", "path of the config in the repository (default .circleci/config.yml)")
	secretFile := s.fs.String("webhook-secret-file", "", "file holding the secret GitHub/GitLab sign webhooks with (- reads stdin)")
	pos, ok := s.parse(args, 2)
	if !ok {
		return s.code
	}
	if *repo == "" {
		return s.usageError("--repo is required")
	}
	body := map[string]any{"org_slug": pos[0], "name": pos[1], "repo_url": repoArg(*repo),
		"default_branch": *branch, "config_path": *configPath}
	if *secretFile != "" {
		secret, err := readSecretFile(*secretFile, std)
		if err != nil {
			return s.fail(err)
		}
		body["webhook_secret"] = secret
	}
	var p projectView
	raw, err := s.call("POST", "/api/v2/admin/projects", body, &p)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) {
		fmt.Fprintf(w, "Created project %s (id %s)\n  repository: %s, default branch %s\n", p.Slug, p.ID, p.RepoURL,
			p.DefaultBranch)
		if p.HasWebhookSecret {
			fmt.Fprintln(w, "  webhook secret: set")
		}
	})
}

// repoArg makes a repository given as an existing local path absolute: the server may run elsewhere.
func repoArg(repo string) string {
	if strings.Contains(repo, "://") {
		return repo
	}
	if _, err := os.Stat(repo); err != nil {
		return repo
	}
	if abs, err := filepath.Abs(repo); err == nil {
		return abs
	}
	return repo
}

// readSecretFile reads a one-line secret from a file (- is stdin), without its trailing newline.
func readSecretFile(name string, std stdio) (string, error) {
	if name == "-" {
		return readSecret(std.in, "standard input", std.err)
	}
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("read the secret: %w", err)
	}
	defer f.Close()
	return readSecret(f, name, std.err)
}

func projectList(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "project list", "", std)
	if _, ok := s.parse(args, 0); !ok {
		return s.code
	}
	var ps []projectView
	raw, err := s.list("/api/v2/admin/projects", nil, &ps)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) {
		if len(ps) == 0 {
			fmt.Fprintln(w, "No projects.")
			return
		}
		rows := make([][]string, 0, len(ps))
		for _, p := range ps {
			rows = append(rows, []string{p.Slug, p.DefaultBranch, p.RepoURL})
		}
		table(w, "SLUG\tBRANCH\tREPOSITORY", rows)
	})
}

func userCreate(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "user create", "LOGIN [--name N] [--admin]", std)
	name := s.fs.String("name", "", "display name (default the login)")
	admin := s.fs.Bool("admin", false, "make the user a server administrator")
	pos, ok := s.parse(args, 1)
	if !ok {
		return s.code
	}
	var u struct {
		ID    string `json:"id"`
		Login string `json:"login"`
		Admin bool   `json:"admin"`
	}
	raw, err := s.call("POST", "/api/v2/admin/users", map[string]any{"login": pos[0], "name": *name, "admin": *admin}, &u)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) {
		what := "user"
		if u.Admin {
			what = "server administrator"
		}
		fmt.Fprintf(w, "Created %s %s (id %s)\n", what, u.Login, u.ID)
	})
}

func memberAdd(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "member add", "ORG_SLUG LOGIN --role admin|member|viewer", std)
	role := s.fs.String("role", "", "the user's role in the organization: admin, member or viewer (required)")
	pos, ok := s.parse(args, 2)
	if !ok {
		return s.code
	}
	if *role != "admin" && *role != "member" && *role != "viewer" {
		return s.usageError("--role must be admin, member or viewer")
	}
	raw, err := s.call("POST", "/api/v2/admin/orgs/"+slugPath(pos[0])+"/members",
		map[string]string{"login": pos[1], "role": *role}, nil)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) { fmt.Fprintf(w, "%s is %s of %s\n", pos[1], *role, pos[0]) })
}

// tokenPath is where token requests go: the caller's own tokens, or (server admins) another user's.
func tokenPath(login string) string {
	if login == "" {
		return "/api/v2/me/tokens"
	}
	return "/api/v2/admin/tokens"
}

func tokenCreate(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "token create", "--label L [--login LOGIN]", std)
	label := s.fs.String("label", "", "the token's label, unique per user (required)")
	login := s.fs.String("login", "", "the user to make it for (server admins; default yourself)")
	if _, ok := s.parse(args, 0); !ok {
		return s.code
	}
	if *label == "" {
		return s.usageError("--label is required")
	}
	body := map[string]string{"label": *label}
	if *login != "" {
		body["login"] = *login
	}
	var t struct {
		Token string `json:"token"`
	}
	raw, err := s.call("POST", tokenPath(*login), body, &t)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) { fmt.Fprintln(w, t.Token) })
}

func tokenRevoke(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "token revoke", "--label L [--login LOGIN]", std)
	label := s.fs.String("label", "", "the token's label (required)")
	login := s.fs.String("login", "", "the user whose token it is (server admins; default yourself)")
	if _, ok := s.parse(args, 0); !ok {
		return s.code
	}
	if *label == "" {
		return s.usageError("--label is required")
	}
	q := url.Values{"label": {*label}}
	if *login != "" {
		q.Set("login", *login)
	}
	raw, err := s.call("DELETE", tokenPath(*login)+"?"+q.Encode(), nil, nil)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) { fmt.Fprintf(w, "Revoked token %q\n", *label) })
}
