package webhook

import (
	"strconv"
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
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.requestDuration.WithLabelValues(route).Observe(d.Seconds())
}

// keyFetched returns a KeySource.OnFetch hook counting fetches of sender.
func (m *metrics) keyFetched(sender string) func(error) {
	return func(err error) {
		result := "ok"
		if err != nil {
			result = "error"
		}
		m.keyFetches.WithLabelValues(sender, result).Inc()
	}
}
