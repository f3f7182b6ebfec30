// Package secrets is the secrets port: envelope encryption of project and context variables, checkout keys
// and webhook secrets at rest. A KeyService (a local key file, AWS KMS, Cloud KMS) issues and unwraps data
// keys; Envelope seals values with AES-256-GCM under a data key and stores the wrapped key beside the
// ciphertext, so the key service is called once per data key, not once per value.
//
// Adapters: localkey (embedded default: a 32-byte key file). Every KeyService passes secretstest.Run.
package secrets
