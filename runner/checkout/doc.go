// Package checkout implements the runner side of CircleCI's built-in
// checkout and add_ssh_keys steps by shelling out to the git and ssh-keygen
// command-line tools, as CircleCI's own agent does.
//
// # checkout
//
// [Run] brings a directory to a given commit of a remote repository:
//
//   - a missing or empty directory is cloned: git init, git remote add
//     origin, git fetch, git checkout. Cloning through init+fetch lets the
//     blobless filter (--filter=blob:none, the default Method) and Depth be
//     applied the same way on both paths;
//   - an existing git repository is fetched into and checked out again
//     (local modifications to tracked files are discarded, untracked files
//     are left alone);
//   - an existing, non-empty directory that is not a repository is an error.
//
// Only the branch or tag ref and the revision are fetched. With Branch set the
// repository is left on a local branch of that name at Revision (tracking
// origin/<branch>); with Tag set HEAD is detached at the tag's commit; with
// neither, HEAD is detached at Revision (or at the remote's HEAD when Revision
// is empty too). gc.auto is set to 0, as CircleCI disables git gc.
// Submodules are not touched.
//
// Credentials never reach git's arguments, output or .git/config: an HTTPS
// token (or a user:password in an https URL) is turned into an
// "Authorization: Basic" header passed through GIT_CONFIG_COUNT/KEY/VALUE as
// http.<url>.extraHeader, and the stored remote URL has its userinfo
// stripped. For ssh URLs the key is written to a 0600 file in a private
// directory under Options.TempDir, used through GIT_SSH_COMMAND with
// IdentitiesOnly=yes and a step-private known_hosts file
// (StrictHostKeyChecking=yes when Spec.KnownHosts is given, accept-new
// otherwise), and removed when Run returns. Terminal and askpass prompts are
// disabled, so a rejected credential fails instead of hanging; such failures
// match [ErrAuthentication].
//
// git is looked up on the PATH of Options.Env, the environment it runs in.
//
// Limitations: the Authorization header travels in git's environment, which
// other processes of the same user can read (/proc/<pid>/environ) while git
// runs; run the step as a user of its own. In a blobless clone, later git commands that need a missing
// blob fetch it from origin on demand and so need credentials of their own
// (add_ssh_keys, a credential helper); host keys trusted through KnownHosts or
// accepted on first use are not written to ~/.ssh/known_hosts.
//
// # add_ssh_keys
//
// [AddSSHKeys] writes the selected keys to ~/.ssh/id_rsa_<md5 hex> (0600,
// ~/.ssh 0700) and appends one block per key to ~/.ssh/config:
//
//	# caravan add_ssh_keys MD5:aa:bb:…
//	Host <hostname, or * when empty>
//	  IdentitiesOnly no
//	  IdentityFile <home>/.ssh/id_rsa_aabb…
//
// "IdentitiesOnly no" is what CircleCI writes: the default keys and an ssh
// agent stay usable, and IdentityFile lines from several blocks for the same
// host accumulate, so every added key is tried. IdentityFile is an absolute
// path, so the config does not depend on ssh's idea of the home directory.
// Repeated calls do not duplicate blocks. Fingerprints are computed from the
// private key with ssh-keygen, so both the MD5 form ("aa:bb:…" or
// "MD5:aa:bb:…", the only form CircleCI Server accepts) and the SHA256 form
// ("SHA256:…") select a key.
package checkout
