// Package webhook parses and verifies the webhooks GitHub and GitLab deliver
// when code is pushed or a pull (merge) request changes.
//
// Parse turns one delivery (its headers and raw body) into an Event, the
// provider-neutral description of what happened: a push to a branch, a tag,
// a pull request that needs building, a ping, or something Caravan ignores.
// It dispatches on X-GitHub-Event or X-Gitlab-Event and reads the real
// payload shapes those providers send:
//
//   - GitHub "push" (refs/heads/… → Kind "push", refs/tags/… → Kind "tag"),
//     "pull_request" (opened, synchronize and reopened build; every other
//     action is Kind "ignored") and "ping";
//   - GitLab "Push Hook", "Tag Push Hook" and "Merge Request Hook" (actions
//     open, update and reopen build; the others are Kind "ignored").
//
// Any other event type parses to Kind "ignored" rather than an error, so a
// receiver can acknowledge deliveries it has no use for.
//
// A push that deletes its ref (after is all zeros, or GitHub's deleted flag)
// sets Deleted and leaves Revision empty. For a pull request from a fork,
// Branch is "pull/<number>", as CircleCI names it, and SkipCI is never set:
// CircleCI does not honour [ci skip] on fork pull requests. SkipCI follows
// CircleCI: "[ci skip]" or "[skip ci]" in the first 250 characters of the
// head commit's title or body. GitHub's pull_request payload carries no
// commit message, so for those the caller checks the head commit itself
// with HasSkipCI.
//
// VerifyGitHub checks the X-Hub-Signature-256 HMAC and VerifyGitLab the
// X-Gitlab-Token shared secret, both in constant time; a failure wraps
// ErrSignature. Verify before Parse: Parse trusts its input.
package webhook
