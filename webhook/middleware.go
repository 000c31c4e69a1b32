package webhook

import (
	"fmt"
	"net/http"
	"time"
)

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware logs each request, records metrics and turns panics into 500s.
// The log line carries the route pattern, never the raw path, query or any
// header: none of them can leak a token or an Authorization header.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				if sw.status == 0 {
					s.fail(sw, r, fmt.Errorf("panic in handler"))
				}
				s.log.Error().Str("route", route(r)).Str("panic", fmt.Sprintf("%T", p)).Msg("handler panicked")
			}
			elapsed, rt := time.Since(start), route(r)
			s.metrics.request(rt, sw.status, elapsed)
			s.log.Info().Str("method", r.Method).Str("route", rt).Int("status", sw.status).
				Int("bytes", sw.bytes).Dur("duration", elapsed).Str("remote", r.RemoteAddr).Msg("request")
		}()
		next.ServeHTTP(sw, r)
	})
}

// route is the request's matched route pattern ("unmatched" if none).
func route(r *http.Request) string {
	if r.Pattern == "" || r.Pattern == "/" {
		return "unmatched"
	}
	return r.Pattern
}
