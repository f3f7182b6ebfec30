// Package secretstest is the conformance suite of the secrets port. Every KeyService adapter runs it from its
// own tests:
//
//	func TestConformance(t *testing.T) {
//		secretstest.Run(t, func(t *testing.T) secrets.KeyService { return newKeyService(t) })
//	}
//
// The suite checks the contract stated on secrets.KeyService (fresh 32-byte data keys, unwrapping, rejection
// of tampered or foreign wrapped keys with secrets.ErrDecrypt) and runs secrets.Envelope over the adapter:
// round trips, associated data, ciphertext tampering, opening with another Envelope (as another process
// would), key rotation and concurrent use.
package secretstest
