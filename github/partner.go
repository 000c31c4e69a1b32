package github

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/leakguard/leakguard/patterns"
)

// GitHub's secret-scanning partner protocol: GitHub POSTs a batch of
// tokens it found, signed with one of the keys listed at DefaultKeysURL,
// and expects one Feedback entry per token in the answer.
const (
	// DefaultKeysURL lists GitHub's secret-scanning signing keys.
	DefaultKeysURL = "https://api.github.com/meta/public_keys/secret_scanning"
	// KeyIDHeader names the key a batch is signed with.
	KeyIDHeader = "Github-Public-Key-Identifier"
	// SignatureHeader carries the batch's signature: base64 of an ASN.1
	// DER ECDSA signature of SHA-256 of the raw body.
	SignatureHeader = "Github-Public-Key-Signature"
)

// Partner batch errors. ParsePayload returns them wrapped.
var (
	// ErrBadPayload is a batch that is not a JSON array.
	ErrBadPayload = errors.New("github: malformed partner batch")
	// ErrTooManyItems is a batch over its item cap.
	ErrTooManyItems = errors.New("github: partner batch has too many items")
)

// Feedback labels (GitHub's partner feedback format).
const (
	LabelTruePositive  = "true_positive"
	LabelFalsePositive = "false_positive"
)

// Feedback is one entry of the partner response: one per distinct token.
type Feedback struct {
	TokenHash string `json:"token_hash"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// PayloadItem is one match of a partner batch. The token is held as a
// Secret from the moment it is parsed.
type PayloadItem struct {
	Token  patterns.Secret
	Type   string
	URL    string // recorded, never fetched
	Source string // where on the partner's side ("content", "commit", ...)
}

// rawItem is an item's wire form.
type rawItem struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// ParsePayload parses a batch: a JSON array of {token,type,url,source}
// objects with at most maxItems entries (more is ErrTooManyItems; not an
// array is ErrBadPayload). An item that is not such an object or has no
// token is skipped and counted in bad: one bad item never fails the batch.
// Unknown fields are ignored (partners add fields).
func ParsePayload(body []byte, maxItems int) (items []PayloadItem, bad int, err error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, 0, fmt.Errorf("%w: batch must be a JSON array of objects", ErrBadPayload)
	}
	if len(raw) > maxItems {
		return nil, 0, fmt.Errorf("%w: batch has %d items, at most %d allowed", ErrTooManyItems, len(raw), maxItems)
	}
	items = make([]PayloadItem, 0, len(raw))
	for _, m := range raw {
		var it rawItem
		if err := json.Unmarshal(m, &it); err != nil || it.Token == "" {
			bad++
			continue
		}
		items = append(items, PayloadItem{Token: patterns.NewSecret(it.Token), Type: it.Type, URL: it.URL, Source: it.Source})
	}
	return items, bad, nil
}

// maxSignatureHeader bounds the signature header: a P-256 DER signature is
// at most 72 bytes, 96 in base64.
const maxSignatureHeader = 256

// ecdsaSig is an ASN.1 DER ECDSA signature.
type ecdsaSig struct{ R, S *big.Int }

// DecodePartnerSignature decodes a signature header: standard base64 of an
// ASN.1 DER ECDSA signature with positive R and S and no trailing bytes.
func DecodePartnerSignature(header string) ([]byte, error) {
	header = strings.TrimSpace(header)
	if header == "" || len(header) > maxSignatureHeader {
		return nil, errors.New("signature header missing or too long")
	}
	der, err := base64.StdEncoding.DecodeString(header)
	if err != nil {
		return nil, fmt.Errorf("signature is not base64: %w", err)
	}
	var sig ecdsaSig
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 {
		return nil, errors.New("signature is not an ASN.1 DER ECDSA signature")
	}
	return der, nil
}

// VerifyPartnerSignature reports whether der is key's ECDSA signature of
// SHA-256(body).
func VerifyPartnerSignature(key *ecdsa.PublicKey, body, der []byte) bool {
	sum := sha256.Sum256(body)
	return ecdsa.VerifyASN1(key, sum[:], der)
}
