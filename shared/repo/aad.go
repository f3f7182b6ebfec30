package repo

// Associated data secrets are sealed with (secrets.Envelope). Binding a value to the record that holds it means
// a sealed value copied to another record does not open. Whoever seals (the API) and whoever opens (the task
// server, the notifier) must use these.

// EnvVarAAD binds a project environment variable's value.
func EnvVarAAD(projectID, name string) []byte {
	return []byte("project/" + projectID + "/envvar/" + name)
}

// ContextVarAAD binds a context variable's value.
func ContextVarAAD(contextID, name string) []byte {
	return []byte("context/" + contextID + "/envvar/" + name)
}

// CheckoutKeyAAD binds a checkout key's private key.
func CheckoutKeyAAD(projectID, fingerprint string) []byte {
	return []byte("project/" + projectID + "/checkout-key/" + fingerprint)
}

// WebhookSecretAAD binds the secret of a project's outbound webhook. It is the string shared/notifier opens
// deliveries with (notifier.SecretAAD), which names the webhook only: webhook ids are unique across projects.
func WebhookSecretAAD(projectID, webhookID string) []byte {
	_ = projectID
	return []byte("webhook/" + webhookID + "/secret")
}

// ProjectWebhookSecretAAD binds Project.WebhookSecret, the secret GitHub or GitLab sign deliveries with.
func ProjectWebhookSecretAAD(projectID string) []byte {
	return []byte("project/" + projectID + "/webhook-secret")
}
