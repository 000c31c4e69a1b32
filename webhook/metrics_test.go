package webhook

import (
	"fmt"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsRequestCache checks that cached children count into the same
// series as WithLabelValues, from concurrent requests.
func TestMetricsRequestCache(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	routes := []string{"POST /v1/tokens/verify", "GET /healthz", "unmatched"}
	statuses := []int{200, 401, 404, 500}
	const rounds = 50
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				for _, r := range routes {
					for _, s := range statuses {
						m.request(r, s, 0)
					}
				}
			}
		}()
	}
	wg.Wait()
	counts, durations := map[string]float64{}, map[string]uint64{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			labels := ""
			for _, l := range mt.GetLabel() {
				labels += l.GetValue() + " "
			}
			switch mf.GetName() {
			case "leakguard_http_requests_total":
				counts[labels] = mt.GetCounter().GetValue()
			case "leakguard_http_request_duration_seconds":
				durations[labels] = mt.GetHistogram().GetSampleCount()
			}
		}
	}
	if got, want := len(counts), len(routes)*len(statuses); got != want {
		t.Errorf("%d request series, want %d", got, want)
	}
	for _, r := range routes {
		for _, s := range statuses {
			if got, want := counts[fmt.Sprintf("%d %s ", s, r)], float64(4*rounds); got != want {
				t.Errorf("%s %d: count %v, want %v", r, s, got, want)
			}
		}
		if got, want := durations[r+" "], uint64(4*rounds*len(statuses)); got != want {
			t.Errorf("%s: %d durations, want %d", r, got, want)
		}
	}
}
