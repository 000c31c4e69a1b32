// Package partnertest is test support for the secret-scanning partner
// endpoint: an ECDSA P-256 key that signs batches the way GitHub does
// (base64 ASN.1 DER over SHA-256 of the raw body) and an httptest server
// that lists keys in GitHub's public-keys format (docs/http-api.md#github-secret-scanning-partner-endpoint).
package partnertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Key is a test signing key with its identifier and PEM public key.
type Key struct {
	ID   string
	Priv *ecdsa.PrivateKey
	PEM  string // PKIX public key, as GitHub publishes it
}

// NewKey generates a P-256 key named id.
func NewKey(tb testing.TB, id string) *Key {
	tb.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return &Key{ID: id, Priv: priv, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

// Sign returns the Github-Public-Key-Signature header value for body.
func (k *Key) Sign(tb testing.TB, body []byte) string {
	tb.Helper()
	sum := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, k.Priv, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// ServeKeys starts a keys URL listing keys (all current), closed at the
// end of the test.
func ServeKeys(tb testing.TB, keys ...*Key) *httptest.Server {
	tb.Helper()
	list := make([]map[string]any, len(keys))
	for i, k := range keys {
		list[i] = map[string]any{"key_identifier": k.ID, "key": k.PEM, "is_current": true}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"public_keys": list})
	}))
	tb.Cleanup(srv.Close)
	return srv
}
