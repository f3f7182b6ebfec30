// Package notifier sends CircleCI-compatible outbound webhooks: the workflow-completed and job-completed
// events, with CircleCI's JSON body, its circleci-signature header (v1=<hex HMAC-SHA256 of the body>) and its
// delivery rules (10 s timeout, retried on anything but a 2xx).
//
// Delivery goes through the queue so that nothing is lost and retries survive restarts: Enqueue puts one
// message per subscribed webhook on Topic, and Handle, run by queue.Consume over Topic, unseals the webhook's
// secret, signs the body and POSTs it. A failed POST returns an error, so the queue retries it with back-off
// and dead-letters it after its MaxAttempts. The secret travels sealed (secrets.Envelope, with SecretAAD as
// associated data): a queue message never holds it in plaintext.
//
// Event ids are derived from the event's subject (workflow or job id) and the webhook, so enqueueing the same
// completion twice yields the same id and receivers can deduplicate, as CircleCI documents.
package notifier
