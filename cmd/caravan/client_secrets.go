package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"
)

// Contexts, project environment variables and orb imports. Secret values are read from standard input,
// never from the command line, so that they stay out of shell history and process listings.

const maxSecretBytes = 1 << 20

// readSecret reads a value from r (named what in errors): all of it, less one trailing newline. When r is
// a terminal, it tells how to end the value on prompt.
func readSecret(r io.Reader, what string, prompt io.Writer) (string, error) {
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(prompt, "Type the value, then press Enter and Ctrl-D:")
		}
	}
	if r == nil {
		r = strings.NewReader("")
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("read the value from %s: %w", what, err)
	}
	if len(b) > maxSecretBytes {
		return "", fmt.Errorf("the value on %s is over %d bytes", what, maxSecretBytes)
	}
	v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if v == "" {
		return "", fmt.Errorf("no value on %s: pipe it in, e.g. printf %%s \"$SECRET\" | caravan ...", what)
	}
	return v, nil
}

type contextView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func contextCreate(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "context create", "ORG_SLUG NAME", std)
	pos, ok := s.parse(args, 2)
	if !ok {
		return s.code
	}
	body := map[string]any{"name": pos[1], "owner": map[string]string{"slug": pos[0], "type": "organization"}}
	var c contextView
	raw, err := s.call("POST", "/api/v2/context", body, &c)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) { fmt.Fprintf(w, "Created context %s in %s (id %s)\n", c.Name, pos[0], c.ID) })
}

func contextList(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "context list", "ORG_SLUG", std)
	pos, ok := s.parse(args, 1)
	if !ok {
		return s.code
	}
	var cs []contextView
	q := url.Values{"owner-slug": {pos[0]}, "owner-type": {"organization"}}
	raw, err := s.list("/api/v2/context", q, &cs)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) {
		if len(cs) == 0 {
			fmt.Fprintf(w, "No contexts in %s.\n", pos[0])
			return
		}
		rows := make([][]string, 0, len(cs))
		for _, c := range cs {
			rows = append(rows, []string{c.ID, c.Name, c.CreatedAt.Format(time.DateTime)})
		}
		table(w, "ID\tNAME\tCREATED", rows)
	})
}

func contextVarPath(id, name string) string {
	return "/api/v2/context/" + url.PathEscape(id) + "/environment-variable/" + url.PathEscape(name)
}

func contextSet(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "context set", "CONTEXT_ID NAME  (the value is read from standard input)", std)
	pos, ok := s.parse(args, 2)
	if !ok {
		return s.code
	}
	v, err := readSecret(std.in, "standard input", std.err)
	if err != nil {
		return s.fail(err)
	}
	raw, err := s.call("PUT", contextVarPath(pos[0], pos[1]), map[string]string{"value": v}, nil)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) { fmt.Fprintf(w, "Set %s in context %s\n", pos[1], pos[0]) })
}

func contextUnset(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "context unset", "CONTEXT_ID NAME", std)
	pos, ok := s.parse(args, 2)
	if !ok {
		return s.code
	}
	raw, err := s.call("DELETE", contextVarPath(pos[0], pos[1]), nil, nil)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) { fmt.Fprintf(w, "Removed %s from context %s\n", pos[1], pos[0]) })
}

type envVarView struct {
	Name  string `json:"name"`
	Value string `json:"value"` // masked: xxxx and at most the last four characters
}

func envvarSet(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "envvar set", "PROJECT_SLUG NAME  (the value is read from standard input)", std)
	pos, ok := s.parse(args, 2)
	if !ok {
		return s.code
	}
	v, err := readSecret(std.in, "standard input", std.err)
	if err != nil {
		return s.fail(err)
	}
	var e envVarView
	raw, err := s.call("POST", "/api/v2/project/"+slugPath(pos[0])+"/envvar", map[string]string{"name": pos[1], "value": v}, &e)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) { fmt.Fprintf(w, "Set %s on %s (%s)\n", e.Name, pos[0], e.Value) })
}

func envvarList(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "envvar list", "PROJECT_SLUG", std)
	pos, ok := s.parse(args, 1)
	if !ok {
		return s.code
	}
	var es []envVarView
	raw, err := s.list("/api/v2/project/"+slugPath(pos[0])+"/envvar", nil, &es)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) {
		if len(es) == 0 {
			fmt.Fprintf(w, "No environment variables on %s.\n", pos[0])
			return
		}
		rows := make([][]string, 0, len(es))
		for _, e := range es {
			rows = append(rows, []string{e.Name, e.Value})
		}
		table(w, "NAME\tVALUE", rows)
	})
}

const maxOrbFileBytes = 8 << 20

func orbImport(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "orb import", "REF FILE  (REF is namespace/name@x.y.z; FILE - reads stdin)", std)
	pos, ok := s.parse(args, 2)
	if !ok {
		return s.code
	}
	src, err := readOrbFile(pos[1], std.in)
	if err != nil {
		return s.fail(err)
	}
	raw, err := s.call("POST", "/api/v2/admin/orbs", map[string]string{"ref": pos[0], "yaml": string(src)}, nil)
	if err != nil {
		return s.fail(err)
	}
	return s.emit(raw, func(w io.Writer) { fmt.Fprintf(w, "Imported orb %s\n", pos[0]) })
}

func readOrbFile(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("read the orb: %w", err)
		}
		defer f.Close()
		r = f
	}
	if r == nil {
		return nil, errors.New("read the orb: no standard input")
	}
	b, err := io.ReadAll(io.LimitReader(r, maxOrbFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the orb %s: %w", name, err)
	}
	if len(b) > maxOrbFileBytes {
		return nil, fmt.Errorf("the orb %s is over %d bytes", name, maxOrbFileBytes)
	}
	return b, nil
}
