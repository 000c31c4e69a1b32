package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/leakguard/leakguard/github"
	"github.com/leakguard/leakguard/internal/budget"
	"github.com/leakguard/leakguard/issuers"
	"github.com/leakguard/leakguard/lifecycle"
	"github.com/leakguard/leakguard/patterns"
	"github.com/leakguard/leakguard/revoker"
	"github.com/leakguard/leakguard/store"
)

// Errors the HTTP layer returns; errorTable maps them (and the sentinels of
// the store, lifecycle and the github partner protocol) to statuses.
var (
	// ErrBadRequest is malformed input: bad JSON, unknown fields, wrong types.
	ErrBadRequest = errors.New("bad request")
	// ErrTooLarge is a body or batch over its cap.
	ErrTooLarge = errors.New("request too large")
	// ErrUnauthorized is a missing, malformed, unknown or invalid bearer token.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden is a valid bearer token whose type may not use the route.
	ErrForbidden = errors.New("forbidden")
	// ErrBadSignature is a missing or wrong partner signature.
	ErrBadSignature = errors.New("bad signature")
	// ErrNoRoute is a path the server does not serve.
	ErrNoRoute = errors.New("no such route")
	// ErrMethod is a served path asked with a method it does not take.
	ErrMethod = errors.New("method not allowed")
)

// errorTable is the one mapping from error kinds to HTTP statuses and error
// codes. The first entry the error matches (errors.Is) wins; anything else is
// 500 "internal" with a generic message.
var errorTable = []struct {
	err    error
	status int
	code   string
}{
	{ErrBadSignature, http.StatusUnauthorized, "bad_signature"},
	{github.ErrUnknownKey, http.StatusUnauthorized, "bad_signature"},
	{github.ErrKeysUnavailable, http.StatusServiceUnavailable, "keys_unavailable"},
	{ErrUnauthorized, http.StatusUnauthorized, "unauthorized"},
	{ErrForbidden, http.StatusForbidden, "forbidden"},
	{ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large"},
	{github.ErrTooManyItems, http.StatusRequestEntityTooLarge, "too_large"},
	{ErrNoRoute, http.StatusNotFound, "not_found"},
	{ErrMethod, http.StatusMethodNotAllowed, "method_not_allowed"},
	{lifecycle.ErrMalformed, http.StatusBadRequest, "malformed_token"},
	{lifecycle.ErrPolicy, http.StatusBadRequest, "expiry_not_allowed"},
	{ErrBadRequest, http.StatusBadRequest, "bad_request"},
	{github.ErrBadPayload, http.StatusBadRequest, "bad_request"},
	{store.ErrInvalid, http.StatusBadRequest, "invalid"},
	{store.ErrNotFound, http.StatusNotFound, "not_found"},
	{store.ErrConflict, http.StatusConflict, "conflict"},
	{ErrBusy, http.StatusServiceUnavailable, "busy"},
	{ErrThrottled, http.StatusTooManyRequests, "throttled"},
	{store.ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "timeout"},
}

// errorStatus returns the status and code of err.
func errorStatus(err error) (int, string) {
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			return e.status, e.code
		}
	}
	return http.StatusInternalServerError, "internal"
}

// Defaults of Config.
const (
	DefaultMaxBodyBytes  = 64 << 10
	DefaultMaxBatchBytes = 5 << 20
	DefaultMaxBatchItems = 1000
	// DefaultMaxPartnerInFlightBytes is Config.MaxPartnerInFlightBytes'
	// default: six full-size batches.
	DefaultMaxPartnerInFlightBytes = 6 * DefaultMaxBatchBytes
)

// Timeouts are the http.Server's; zero fields take the defaults.
type Timeouts struct {
	ReadHeader time.Duration // default 5 s
	Read       time.Duration // default 30 s (a 5 MB batch on a slow link)
	Write      time.Duration // default 60 s
	Idle       time.Duration // default 120 s
}

// Config wires a Server. Manager and Revoker are required.
type Config struct {
	Manager *lifecycle.Manager
	Revoker *revoker.Revoker
	// Senders are the partner endpoints (nil: GitHub's at
	// github.DefaultKeysURL).
	Senders []Sender
	// HTTPClient fetches senders' public keys (nil: 10 s timeout client).
	HTTPClient *http.Client
	Logger     zerolog.Logger
	Now        func() time.Time // nil: time.Now
	// Ready are /readyz's checks by name (nil: "store" pings the
	// Manager's store, which includes the Redis cache when there is one).
	Ready map[string]func(context.Context) error
	// Registry receives the metrics (nil: a new private registry).
	Registry      *prometheus.Registry
	MaxBodyBytes  int64 // token API body cap
	MaxBatchBytes int64 // partner batch body cap
	MaxBatchItems int   // partner batch item cap
	// MaxPartnerInFlightBytes bounds the partner batch bytes held in memory
	// at once, across every partner endpoint (0:
	// DefaultMaxPartnerInFlightBytes; never less than MaxBatchBytes). A
	// batch that does not fit is answered 503 with Retry-After before any
	// of it is read.
	MaxPartnerInFlightBytes int64
	Timeouts                Timeouts
	// GitLabToken, when set, serves GitLab's Token Revocation API
	// (gitlab.go) to callers that present it as a bearer token.
	GitLabToken patterns.Secret
	// Reporter, when set, reports other issuers' tokens that reach the
	// GitLab routes to their issuers (package issuers).
	Reporter *issuers.Reporter
}

// Server is leakguard's HTTP server: token API, partner endpoints, health
// and metrics. Build it with New, serve Handler or HTTPServer.
type Server struct {
	cfg     Config
	log     zerolog.Logger
	now     func() time.Time
	metrics *metrics
	reg     *prometheus.Registry
	keys    map[string]*github.KeySource
	handler http.Handler
	// partnerInFlight is the budget behind MaxPartnerInFlightBytes, shared
	// by every partner endpoint.
	partnerInFlight *budget.Bytes
}

// New checks cfg, fills defaults and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Manager == nil || cfg.Revoker == nil {
		return nil, errors.New("webhook: Manager and Revoker are required")
	}
	cfg = withDefaults(cfg)
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, reg: cfg.Registry, keys: map[string]*github.KeySource{}}
	m, err := newMetrics(s.reg)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	mux := http.NewServeMux()
	s.routes(mux)
	for _, snd := range cfg.Senders {
		if err := snd.validate(); err != nil {
			return nil, err
		}
		if _, dup := s.keys[snd.Name]; dup {
			return nil, fmt.Errorf("webhook: duplicate sender %q", snd.Name)
		}
		ks := github.NewKeySource(cfg.HTTPClient, snd.KeysURL, cfg.Now, cfg.Logger.With().Str("sender", snd.Name).Logger())
		ks.OnFetch = s.metrics.keyFetched(snd.Name)
		s.keys[snd.Name] = ks
		mux.Handle("POST "+snd.Path, s.partnerHandler(snd, ks))
	}
	s.handler = s.middleware(mux)
	return s, nil
}

func withDefaults(cfg Config) Config {
	if cfg.Senders == nil {
		cfg.Senders = []Sender{GitHubSender(github.DefaultKeysURL)}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Ready == nil {
		st := cfg.Manager.Store()
		cfg.Ready = map[string]func(context.Context) error{"store": st.Ping}
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	cfg.MaxBodyBytes = orDefault(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	cfg.MaxBatchBytes = orDefault(cfg.MaxBatchBytes, DefaultMaxBatchBytes)
	if cfg.MaxBatchItems <= 0 {
		cfg.MaxBatchItems = DefaultMaxBatchItems
	}
	t := &cfg.Timeouts
	t.ReadHeader = orDefault(t.ReadHeader, 5*time.Second)
	t.Read = orDefault(t.Read, 30*time.Second)
	t.Write = orDefault(t.Write, 60*time.Second)
	t.Idle = orDefault(t.Idle, 120*time.Second)
	return cfg
}

func orDefault[T int64 | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// routes registers the token API, health and metrics.
func (s *Server) routes(mux *http.ServeMux) {
	s.apiRoutes(mux)
	s.gitLabRoutes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.fail(w, r, fmt.Errorf("%w: %s %s", ErrMethod, r.Method, r.URL.Path))
			return
		}
		s.fail(w, r, fmt.Errorf("%w: %s %s", ErrNoRoute, r.Method, r.URL.Path))
	})
}

// allowedMethods lists the methods mux serves r's path with (other than
// through the catch-all "/"), for a 405 with an Allow header.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// Handler returns the server's HTTP handler (routes and middleware).
func (s *Server) Handler() http.Handler { return s.handler }

// Registry returns the metrics registry.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Keys returns a sender's key source.
func (s *Server) Keys(sender string) *github.KeySource { return s.keys[sender] }

// HTTPServer returns an http.Server for Handler with the configured
// timeouts; the caller serves it on its listener and shuts it down.
func (s *Server) HTTPServer() *http.Server {
	t := s.cfg.Timeouts
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          nil,
	}
}

// readyz checks every readiness dependency with a short timeout.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := make(map[string]string, len(s.cfg.Ready))
	status, code := http.StatusOK, "ready"
	for name, check := range s.cfg.Ready {
		checks[name] = "ok"
		if err := check(ctx); err != nil {
			checks[name] = "unavailable"
			status, code = http.StatusServiceUnavailable, "unavailable"
			s.log.Warn().Err(err).Str("check", name).Msg("readiness check failed")
		}
	}
	writeJSON(w, status, map[string]any{"status": code, "checks": checks})
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// fail writes err as {"error":{"code","message"}} with its status from
// errorTable. Server errors get a generic message; the error is logged.
// Token-shaped strings of the Manager's catalog are redacted from both, as
// messages quote request input.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := errorStatus(err)
	var body errorBody
	msg := s.cfg.Manager.Catalog().RedactTokens(err.Error())
	body.Error.Code, body.Error.Message = code, msg
	if status >= 500 {
		body.Error.Message = http.StatusText(status)
		s.log.Error().Str(zerolog.ErrorFieldName, msg).Str("route", route(r)).Msg("request failed")
	}
	if status == http.StatusUnauthorized && code == "unauthorized" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="leakguard"`)
	}
	writeJSON(w, status, body)
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
