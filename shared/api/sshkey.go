package api

import (
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
)

// SSH key encoding for checkout keys, without golang.org/x/crypto/ssh: the wire format of RFC 4253 §6.6 and
// RFC 8709, and OpenSSH's private key container (PROTOCOL.key in the OpenSSH sources):
//
//	"openssh-key-v1\0"
//	string ciphername "none", string kdfname "none", string kdfoptions ""
//	uint32 number of keys (1), string public key blob
//	string private section: uint32 check, uint32 check (equal, random), string "ssh-ed25519",
//	       string public key (32 bytes), string seed || public key (64 bytes), string comment,
//	       padding 1, 2, 3 … to a multiple of the cipher block size (8 for "none")

const sshEd25519 = "ssh-ed25519"

// sshKey is a generated key pair in the forms Caravan stores and shows.
type sshKey struct {
	Public      string // authorized_keys line: "ssh-ed25519 <base64>"
	Private     []byte // OpenSSH PEM
	Fingerprint string // "SHA256:<base64 without padding>", as ssh-keygen -l prints it
}

func appendString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// ed25519Blob is the public key in SSH wire format.
func ed25519Blob(pub ed25519.PublicKey) []byte {
	b := appendString(nil, []byte(sshEd25519))
	return appendString(b, pub)
}

// newSSHKey generates an ed25519 key pair.
func newSSHKey(comment string) (sshKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return sshKey{}, fmt.Errorf("generate ed25519 key: %w", err)
	}
	blob := ed25519Blob(pub)
	var check [4]byte
	if _, err := rand.Read(check[:]); err != nil {
		return sshKey{}, fmt.Errorf("generate ed25519 key: %w", err)
	}
	sec := append(check[:], check[:]...)
	sec = appendString(sec, []byte(sshEd25519))
	sec = appendString(sec, pub)
	sec = appendString(sec, priv) // seed || public key, as OpenSSH stores it
	sec = appendString(sec, []byte(comment))
	for i := byte(1); len(sec)%8 != 0; i++ {
		sec = append(sec, i)
	}
	body := []byte("openssh-key-v1\x00")
	body = appendString(body, []byte("none"))
	body = appendString(body, []byte("none"))
	body = appendString(body, nil)
	body = binary.BigEndian.AppendUint32(body, 1)
	body = appendString(body, blob)
	body = appendString(body, sec)
	return sshKey{
		Public:      sshEd25519 + " " + base64.StdEncoding.EncodeToString(blob),
		Private:     pemOpenSSH(body),
		Fingerprint: fingerprintSHA256(blob),
	}, nil
}

// pemOpenSSH armours an OpenSSH private key as ssh-keygen writes it: base64 in lines of 70 characters
// (encoding/pem would wrap at 64, which OpenSSH reads too, but this matches its own files).
func pemOpenSSH(body []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(body)
	var sb strings.Builder
	sb.WriteString("-----BEGIN OPENSSH PRIVATE KEY-----\n")
	for len(enc) > 70 {
		sb.WriteString(enc[:70] + "\n")
		enc = enc[70:]
	}
	sb.WriteString(enc + "\n-----END OPENSSH PRIVATE KEY-----\n")
	return []byte(sb.String())
}

func fingerprintSHA256(blob []byte) string {
	sum := sha256.Sum256(blob)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// fingerprintMD5 is the legacy form ("aa:bb:…", without ssh-keygen's "MD5:" prefix), which CircleCI showed
// for older keys.
func fingerprintMD5(blob []byte) string {
	sum := md5.Sum(blob)
	h := hex.EncodeToString(sum[:])
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// publicBlob decodes an authorized_keys line back to its wire blob.
func publicBlob(public string) ([]byte, error) {
	f := strings.Fields(public)
	if len(f) < 2 {
		return nil, fmt.Errorf("malformed public key")
	}
	b, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		return nil, fmt.Errorf("malformed public key: %w", err)
	}
	return b, nil
}
