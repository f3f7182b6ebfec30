package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/caravan-ci/caravan/runner/checkout"
	"github.com/caravan-ci/caravan/runner/docker"
	"github.com/caravan-ci/caravan/shared/plan"
)

// checkout fetches the pipeline's revision into the working directory (or the step's path).
func (j *job) checkout(ctx context.Context, st plan.Step, out io.Writer) error {
	dir := j.workDir
	if st.Path != "" {
		dir = j.resolve(st.Path)
	}
	c, p := j.task.Checkout, j.task.Pipeline
	spec := checkout.Spec{
		RepoURL: orDefault(c.RepoURL, p.RepoURL), Revision: p.Revision, Branch: p.Branch, Tag: p.Tag,
		Method: st.Method, Depth: st.Depth, SSHKey: c.SSHKey, KnownHosts: c.KnownHosts,
		HTTPSToken: c.HTTPSToken, HTTPSUser: c.HTTPSUser,
	}
	if spec.RepoURL == "" {
		return fmt.Errorf("checkout: the task has no repository URL")
	}
	fmt.Fprintf(out, "Checking out %s at %s into %s\n", j.mask(spec.RepoURL), orDefault(p.Revision, "the head of "+
		orDefault(p.Tag, p.Branch)), dir)
	env := j.env.clone()
	env.set("GIT_TERMINAL_PROMPT", "0", "runner")
	return checkout.Run(ctx, spec, dir, checkout.Options{Stdout: out, Stderr: out, Env: env.list(), TempDir: j.tmp})
}

// addSSHKeys installs the project's SSH keys (all, or those fingerprints) into ~/.ssh.
func (j *job) addSSHKeys(st plan.Step, out io.Writer) error {
	keys := make([]checkout.SSHKey, len(j.task.SSHKeys))
	for i, k := range j.task.SSHKeys {
		keys[i] = checkout.SSHKey{Fingerprint: k.Fingerprint, Hostname: k.Hostname, PrivateKey: k.PrivateKey}
	}
	if len(keys) == 0 {
		if len(st.Fingerprints) > 0 {
			return fmt.Errorf("add_ssh_keys: the project has no SSH keys, but the step asks for %s",
				strings.Join(st.Fingerprints, ", "))
		}
		fmt.Fprintln(out, "The project has no additional SSH keys")
		return nil
	}
	added, err := checkout.AddSSHKeys(j.home, keys, st.Fingerprints)
	if err != nil {
		return fmt.Errorf("add_ssh_keys: %w", err)
	}
	for _, f := range added {
		fmt.Fprintf(out, "Added SSH key %s\n", f)
	}
	return nil
}

// setupRemoteDocker gives the job a Docker engine: the one at DOCKER_HOST (or the default socket), which must
// answer.
func (j *job) setupRemoteDocker(ctx context.Context, st plan.Step, out io.Writer) error {
	host, _ := j.env.get("DOCKER_HOST")
	if host == "" {
		host = j.cfg.DockerHost
	}
	c, err := docker.New(host)
	if err == nil {
		err = c.Ping(ctx)
	}
	if err != nil {
		return fmt.Errorf("setup_remote_docker: %w", err)
	}
	if host != "" {
		j.env.set("DOCKER_HOST", host, "runner")
	}
	fmt.Fprintf(out, "Docker engine reachable at %s\n", orDefault(host, os.Getenv("DOCKER_HOST")))
	if st.DockerLayerCaching {
		fmt.Fprintln(out, "Docker layer caching: layers persist in this engine's own cache")
	}
	return nil
}
