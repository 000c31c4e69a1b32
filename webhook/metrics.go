package webhook

import (
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus collectors, on a private registry.
type metrics struct {
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	batches         *prometheus.CounterVec
	tokens          *prometheus.CounterVec
	truePositives   *prometheus.CounterVec
	sigFailures     *prometheus.CounterVec
	keyFetches      *prometheus.CounterVec
	batchDuration   *prometheus.HistogramVec
	children        childCache // of requests and requestDuration
}

// newMetrics creates and registers the collectors on reg.
func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakguard_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leakguard_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakguard_partner_batches_total", Help: "Partner batches by sender and outcome.",
		}, []string{"sender", "outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakguard_partner_tokens_total", Help: "Distinct tokens in accepted partner batches.",
		}, []string{"sender"}),
		truePositives: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakguard_partner_true_positives_total", Help: "Tokens of ours reported by partners.",
		}, []string{"sender"}),
		sigFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakguard_partner_signature_failures_total", Help: "Rejected partner signatures by reason.",
		}, []string{"sender", "reason"}),
		keyFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakguard_partner_key_fetches_total", Help: "Public key list fetches by result.",
		}, []string{"sender", "result"}),
		batchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leakguard_partner_batch_duration_seconds", Help: "Partner batch latency, verified to answered.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"sender"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.requestDuration, m.batches, m.tokens,
		m.truePositives, m.sigFailures, m.keyFetches, m.batchDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// request records one HTTP request.
func (m *metrics) request(route string, status int, d time.Duration) {
	c := m.children.get(route, status, m.newRequestChildren)
	c.count.Inc()
	c.duration.Observe(d.Seconds())
}

// newRequestChildren looks up the collectors of a route and status.
func (m *metrics) newRequestChildren(route string, status int) requestChildren {
	return requestChildren{
		count:    m.requests.WithLabelValues(route, strconv.Itoa(status)),
		duration: m.requestDuration.WithLabelValues(route),
	}
}

// requestChildren are the collectors one request updates.
type requestChildren struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// requestKey is a route and a status.
type requestKey struct {
	route  string
	status int
}

// childCache remembers requestChildren by route and status, sparing each
// request the label hashing and the vectors' locks. Routes are the mux's
// patterns and statuses few, so it stays small. Reads take no lock: the map
// is replaced, never changed, when a pair is added.
type childCache struct {
	m  atomic.Pointer[map[requestKey]requestChildren]
	mu sync.Mutex // serializes additions
}

// get returns the children of route and status, made by newChildren the
// first time.
func (c *childCache) get(route string, status int, newChildren func(string, int) requestChildren) requestChildren {
	k := requestKey{route, status}
	if m := c.m.Load(); m != nil {
		if ch, ok := (*m)[k]; ok {
			return ch
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if ch, ok := (*old)[k]; ok {
			return ch
		}
	}
	next := map[requestKey]requestChildren{}
	if old != nil {
		next = maps.Clone(*old)
	}
	ch := newChildren(route, status)
	next[k] = ch
	c.m.Store(&next)
	return ch
}

// keyFetched returns a github.KeySource.OnFetch hook counting fetches of sender.
func (m *metrics) keyFetched(sender string) func(error) {
	return func(err error) {
		result := "ok"
		if err != nil {
			result = "error"
		}
		m.keyFetches.WithLabelValues(sender, result).Inc()
	}
}
