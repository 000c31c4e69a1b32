package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/leakguard/leakguard"
	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/internal/budget"
	"github.com/leakguard/leakguard/revoker"
)

// Sender configures one partner endpoint: a partner that POSTs batches of
// found tokens signed with ECDSA P-256/SHA-256 the way GitHub's
// secret-scanning partner program does (package github parses and checks
// them); other senders (GitLab, deps.dev) differ only in these fields. The
// route and the metrics label are this server's; the headers, keys URL,
// source and actor are the partner's.
type Sender struct {
	Name            string           // metrics label and key-source name ("github")
	Path            string           // route ("/v1/github/secret-scanning")
	KeyIDHeader     string           // header naming the signing key
	SignatureHeader string           // header with base64 ASN.1 DER signature
	KeysURL         string           // JSON {"public_keys":[{key_identifier,key,is_current}]}
	Source          leakguard.Source // report source recorded in the reason ("github-webhook")
	Actor           string           // revoking actor in the audit trail
}

// GitHubSender is GitHub's secret-scanning partner sender, served at
// /v1/github/secret-scanning, with keys at keysURL (github.DefaultKeysURL
// in production).
func GitHubSender(keysURL string) Sender {
	return Sender{
		Name: "github", Path: "/v1/github/secret-scanning",
		KeyIDHeader: github.KeyIDHeader, SignatureHeader: github.SignatureHeader,
		KeysURL: keysURL, Source: leakguard.SourceGitHubWebhook, Actor: github.ActorSecretScanning,
	}
}

func (s Sender) validate() error {
	if s.Name == "" || !strings.HasPrefix(s.Path, "/") || s.KeyIDHeader == "" ||
		s.SignatureHeader == "" || s.KeysURL == "" || s.Source == "" || s.Actor == "" {
		return fmt.Errorf("webhook: sender %q: name, path, headers, keys URL, source and actor are required", s.Name)
	}
	return nil
}

// partnerHandler serves one sender's endpoint. A request is taken in an
// order that lets no unauthenticated caller make the server read or hold
// its body:
//
//  1. Both signature headers must be present and well formed (401).
//  2. The key identifier must name a key of the sender: a cached one, or
//     one found by the refetch the github.KeySource allows at most once per
//     MinRefetch. An identifier absent from a fetched list is 401; while
//     the list cannot be fetched the answer is 503 with Retry-After, as
//     GitHub retries a 5xx but never resends a batch refused with a 4xx.
//  3. A declared Content-Length over MaxBatchBytes is 413.
//  4. The body must fit the byte budget all partner endpoints share
//     (Config.MaxPartnerInFlightBytes): reserved from Content-Length when
//     there is one, else grown chunk by chunk as the body is read. What
//     does not fit is 503 with Retry-After.
//  5. The body is read into pooled chunks (capped at MaxBatchBytes, 413)
//     and its signature checked over the raw bytes (401).
//
// No body byte is read before step 4, and nothing in the body is looked
// at, nor the store called, before step 5 passes. Every 503 carries
// Retry-After.
func (s *Server) partnerHandler(snd Sender, ks *github.KeySource) http.Handler {
	inFlight := s.partnerBudget()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		fb, outcome, err := s.handleBatch(r, snd, ks, inFlight)
		s.metrics.batches.WithLabelValues(snd.Name, outcome).Inc()
		if err != nil {
			if status, _ := errorStatus(err); status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", retryAfterHeader(err))
			}
			s.fail(w, r, err)
			return
		}
		s.metrics.batchDuration.WithLabelValues(snd.Name).Observe(time.Since(start).Seconds())
		writeJSON(w, http.StatusOK, fb)
	})
}

// handleBatch authenticates, parses and revokes one batch. outcome labels
// the batches metric. The batch's share of the budget is held until the
// batch is answered; its chunks go back to the pool once it is parsed.
func (s *Server) handleBatch(r *http.Request, snd Sender, ks *github.KeySource, inFlight *budget.Bytes) ([]github.Feedback, string, error) {
	res := &reservation{budget: inFlight}
	defer res.release()
	var buf batchBuffer
	defer buf.release()
	if outcome, err := s.authenticBody(r, snd, ks, res, &buf); err != nil {
		return nil, outcome, err
	}
	items, bad, err := github.ParsePayload(buf.bytes(), s.cfg.MaxBatchItems)
	buf.release()
	if err != nil {
		_, code := errorStatus(err)
		return nil, code, err
	}
	fb, err := s.revokeBatch(r.Context(), snd, items)
	if err != nil {
		return nil, "error", fmt.Errorf("partner %s: batch not durable: %w", snd.Name, err)
	}
	s.log.Info().Str("sender", snd.Name).Int("items", len(items)).Int("bad_items", bad).
		Int("distinct", len(fb)).Msg("partner batch handled")
	return fb, "ok", nil
}

// authenticBody checks the signature headers and resolves the key before
// reading the body into buf under res, then checks the signature over it
// (steps 1-5 of partnerHandler). outcome labels the batches metric.
func (s *Server) authenticBody(r *http.Request, snd Sender, ks *github.KeySource, res *reservation, buf *batchBuffer) (string, error) {
	keyID := strings.TrimSpace(r.Header.Get(snd.KeyIDHeader))
	sig, err := github.DecodePartnerSignature(r.Header.Get(snd.SignatureHeader))
	if keyID == "" || err != nil {
		s.metrics.sigFailures.WithLabelValues(snd.Name, "missing_or_malformed").Inc()
		return "bad_signature", fmt.Errorf("%w: missing or malformed signature headers", ErrBadSignature)
	}
	key, err := ks.Key(r.Context(), keyID)
	if err != nil {
		if errors.Is(err, github.ErrUnknownKey) {
			s.metrics.sigFailures.WithLabelValues(snd.Name, "unknown_key").Inc()
			return "bad_signature", err
		}
		return "keys_unavailable", err
	}
	if outcome, err := s.readBatch(r, res, buf); err != nil {
		return outcome, err
	}
	if !buf.verify(key, sig) {
		s.metrics.sigFailures.WithLabelValues(snd.Name, "mismatch").Inc()
		return "bad_signature", fmt.Errorf("%w: signature does not match the body", ErrBadSignature)
	}
	return "", nil
}

// readBatch reads r's body into buf (steps 3 to 5 of partnerHandler, up
// to the signature check): a declared length over MaxBatchBytes is
// ErrTooLarge and one that does not fit res's budget ErrBusy, both before
// any byte is read; a body without a declared length reserves as it is
// read.
func (s *Server) readBatch(r *http.Request, res *reservation, buf *batchBuffer) (string, error) {
	limit := s.cfg.MaxBatchBytes
	switch n := r.ContentLength; {
	case n > limit:
		return "too_large", fmt.Errorf("%w: batch of %d bytes, at most %d allowed", ErrTooLarge, n, limit)
	case n == 0:
		return "", nil
	case n > 0 && !res.growTo(chunkBytes(n)):
		return "busy", ErrBusy
	}
	err := buf.readFrom(r.Body, limit, res.growTo)
	switch {
	case err == nil:
		return "", nil
	case errors.Is(err, errBatchTooLarge):
		return "too_large", fmt.Errorf("%w: batch larger than %d bytes", ErrTooLarge, limit)
	case errors.Is(err, ErrBusy):
		return "busy", err
	default:
		return "bad_request", fmt.Errorf("%w: reading body: %v", ErrBadRequest, err)
	}
}

// revokeBatch reports each distinct token once and builds the feedback in
// order of first appearance. It returns an error unless every revocation is
// durable.
func (s *Server) revokeBatch(ctx context.Context, snd Sender, items []github.PayloadItem) ([]github.Feedback, error) {
	reps := make([]revoker.Report, len(items))
	for i, it := range items {
		reps[i] = revoker.Report{Secret: it.Token, Source: snd.Source, URL: it.URL, Actor: snd.Actor}
	}
	outs, err := s.cfg.Revoker.Resolve(ctx, reps, true)
	if err != nil {
		return nil, err
	}
	fb := make([]github.Feedback, len(outs))
	tp := 0
	for i, o := range outs {
		fb[i] = github.Feedback{TokenHash: string(o.Hash), TokenType: items[o.First].Type, Label: github.LabelFalsePositive}
		if o.Ours {
			fb[i].Label = github.LabelTruePositive
			tp++
		}
	}
	s.metrics.tokens.WithLabelValues(snd.Name).Add(float64(len(fb)))
	s.metrics.truePositives.WithLabelValues(snd.Name).Add(float64(tp))
	return fb, nil
}
