// Command bare is the baseline of benchmarks/serve-verify.sh: a bare
// net/http server that answers every request with a constant verify-shaped
// JSON body, so that wrk measures what the loopback, the HTTP stack and the
// load generator cost on this machine without any leakguard work.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

// answer is shaped like a POST /v1/tokens/verify answer.
const answer = `{"valid":true,"id":"tok_00000000000000000000000000000000","owner":"bench@example.org","type":"user","expires_at":"2030-01-01T00:00:00Z","invalid_at":null}` + "\n"

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen `address`")
	flag.Parse()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // read the body as the real handler does
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	})
	log.Fatal(http.ListenAndServe(*addr, h))
}
