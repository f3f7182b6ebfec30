// Package gitsource reads a project's files at a revision with the git
// command-line client, which must be on PATH.
//
// Source.Resolve turns a ref (a branch, a tag, a full or abbreviated commit
// id, or "" for the default branch) into a Commit with its id and message,
// and Source.ReadFile returns one file of a commit, or an error wrapping
// ErrNotFound when the commit has no regular file at that path. A ref that
// names nothing wraps ErrUnknownRef. When a name is both a branch and a tag
// the branch wins; "refs/heads/x" and "refs/tags/x" say which is meant.
//
// A repository is either a local path (a working tree or a bare repository,
// read in place, never written) or a URL: https://, http://, ssh://, git://,
// file:// or scp-like user@host:path. For URLs Source keeps one bare mirror
// per URL under CacheDir, named by the SHA-256 of the URL, and fetches only
// what it needs, shallowly: the branch or tag asked for at depth 1, or one
// commit by its full id. Only an abbreviated id it does not already hold
// makes it fetch every branch and tag in full. Work on a mirror is serialized
// within the process and, through a lock file next to it, across processes.
//
// Credentials for a URL go in Auth and the *Auth method variants. An HTTPS
// token is sent as an http.<url>.extraHeader set through GIT_CONFIG_* in the
// environment of git, scoped to the repository's host; an SSH private key is
// written to a private temporary file named in GIT_SSH_COMMAND and removed
// when the call returns. Neither ever appears in a URL, an argument list or
// the mirror's configuration; URLs that embed a password are refused.
//
// Every git runs without a shell, with GIT_TERMINAL_PROMPT=0 so it never
// waits for a password, with the repository-selecting GIT_* variables of the
// caller's environment removed, and under the Source's Timeout. Refs and
// paths that start with '-' or escape with '..' are rejected, wrapping ErrInvalid,
// before git runs.
package gitsource
