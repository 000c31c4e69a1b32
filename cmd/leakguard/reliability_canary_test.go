package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/leakguard/leakguard/internal/testenv"
)

// canaryRun is one serve process whose every output is searched for the
// plaintext of the tokens it handled.
type canaryRun struct {
	bin, db string
	rd      *testenv.RedisProc
	logs    *syncBuffer
	rc      *notifyReceiver
	key     *partnerKey
	srv     *serveProc
	api     *apiClient // admin, keeps every response body
	issuer  *apiClient // admin, for POST /v1/tokens only (its answer is the one place a token may be)
	tokens  []string   // every plaintext token planted
}

// testCanary plants tokens through the full lifecycle (CLI issue, API
// issue, verify, revoke by token, hash and id, a partner batch, bad
// requests, list, records, events, the CLI verify) on db with a
// throw-away Redis, then searches the database (dump returns its
// contents), every Redis key and value, the logs, every response body and
// every notification for their plaintext.
func testCanary(t *testing.T, bin, db string, dump func(t *testing.T) [][]byte) {
	c := &canaryRun{bin: bin, db: db, rd: testenv.RedisServer(t), logs: &syncBuffer{},
		rc: newNotifyReceiver(t), key: newPartnerKey(t)}
	admin := issueAdminCLI(t, bin, db, c.logs)
	c.tokens = append(c.tokens, admin)
	c.srv = startServe(t, bin, c.logs, "--db", db, "--redis", c.rd.URL(), "--notify-url", c.rc.srv.URL,
		"--notify-secret", c.rc.secret(), "--notify-lease", "1s", "--github-keys-url", c.key.srv.URL, "--log-level", "debug")
	c.api, c.issuer = newAPIClient(c.srv.url(), admin), newAPIClient(c.srv.url(), admin)
	c.api.keep, c.issuer.keep = true, true
	c.plant(t)
	redisDump := dumpRedis(t, c.rd)
	c.srv.stop() // flushes logs; SQLite checkpoints
	stores := dump(t)
	if len(redisDump) == 0 || len(stores) == 0 || len(c.logs.Bytes()) == 0 {
		t.Fatalf("nothing to search: %d redis values, %d store rows, %d log bytes", len(redisDump), len(stores), len(c.logs.Bytes()))
	}
	for _, tok := range c.tokens[1:6] { // the search finds what is there
		if !containsAny(c.issuer.bodies, tok) {
			t.Fatalf("positive control: an issued token is not in its creation response")
		}
	}
	places := map[string][][]byte{"redis": redisDump, "store": stores, "logs": {c.logs.Bytes()},
		"responses": c.api.bodies, "notifications": c.rc.allBodies()}
	for where, blobs := range places {
		for _, tok := range c.tokens {
			for _, needle := range canaryNeedles(tok) {
				if containsAny(blobs, needle) {
					t.Errorf("plaintext (or its body) of a %s… token found in %s", tok[:4], where)
				}
			}
		}
	}
	t.Logf("searched %d tokens in %d redis values, %d store rows/files, %d log bytes, %d responses, %d notifications",
		len(c.tokens), len(redisDump), len(stores), len(c.logs.Bytes()), len(c.api.bodies), len(c.rc.allBodies()))
}

// containsAny reports whether any blob contains s.
func containsAny(blobs [][]byte, s string) bool {
	for _, b := range blobs {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// canaryNeedles are the token and its 30-character random body (so that a
// partial echo, e.g. of a mistyped token, is caught too).
func canaryNeedles(tok string) []string {
	i := strings.Index(tok, "_") + 1
	if i == 0 || len(tok) < i+30 {
		return []string{tok}
	}
	return []string{tok, tok[i : i+30]}
}

// plant drives the lifecycle with canary tokens.
func (c *canaryRun) plant(t *testing.T) {
	t.Helper()
	svc := c.issuer.issue(t, "service", "canary service")
	var users []issued
	for i := range 5 {
		users = append(users, c.issuer.issue(t, "user", fmt.Sprint("canary ", i)))
	}
	c.tokens = append(c.tokens, svc.Token)
	for _, u := range users {
		c.tokens = append(c.tokens, u.Token)
	}
	sapi := newAPIClient(c.srv.url(), svc.Token)
	sapi.keep = true
	defer func() { c.api.bodies = append(c.api.bodies, sapi.bodies...) }()
	for _, u := range users {
		if v, _, err := sapi.verify(u.Token); err != nil || !v.Valid {
			t.Fatalf("verify fresh token: %+v %v", v, err)
		}
	}
	a, b, cc, d, e := users[0], users[1], users[2], users[3], users[4]
	c.api.must(t, http.StatusOK, "POST", "/v1/tokens/revoke", map[string]string{"token": a.Token, "reason": "canary by token"}, nil)
	c.api.must(t, http.StatusOK, "POST", "/v1/tokens/revoke", map[string]string{"token_hash": b.Hash, "reason": "canary by hash"}, nil)
	c.api.must(t, http.StatusOK, "POST", "/v1/tokens/revoke", map[string]string{"id": cc.ID, "reason": "canary by id"}, nil)
	c.api.must(t, http.StatusOK, "POST", "/v1/tokens/revoke", map[string]string{"token": a.Token, "reason": "again"}, nil)
	code, out, err := c.api.sendBatch(t, c.key, partnerBatch(t, []string{d.Token, a.Token, d.Token, unknownToken()}, "https://github.com/octo/canary/blob/main/.env"))
	if err != nil || code != http.StatusOK {
		t.Fatalf("partner batch: %d %v %s", code, err, out)
	}
	for _, u := range users[:4] {
		if v, _, err := sapi.verify(u.Token); err != nil || v.Valid {
			t.Fatalf("verify revoked token: %+v %v", v, err)
		}
	}
	c.badRequests(t, e)
	c.reads(t, users)
	c.cliVerify(t, a.Token)
	waitNotified(t, c.rc, map[string]bool{a.ID: true, b.ID: true, cc.ID: true, d.ID: true})
}

// badRequests sends requests that carry a plaintext and must fail with a
// 4xx that does not echo it.
func (c *canaryRun) badRequests(t *testing.T, e issued) {
	t.Helper()
	last := "a"
	if strings.HasSuffix(e.Token, "a") {
		last = "b"
	}
	mistyped := e.Token[:len(e.Token)-1] + last // wrong checksum
	reqs := []struct {
		path string
		body any
	}{
		{"/v1/tokens/verify", map[string]string{"token": mistyped}},
		{"/v1/tokens/verify", map[string]any{"token": e.Token, "extra": 1}},
		{"/v1/tokens/verify", []byte(`{"token":"` + e.Token + `"`)},
		{"/v1/tokens/revoke", map[string]string{"token": e.Token}},
		{"/v1/tokens/revoke", map[string]any{"token": e.Token, "reason": 7}},
		{"/v1/tokens", map[string]string{"owner": e.Token, "name": "x", "expires_in": "forever"}},
	}
	for _, r := range reqs {
		code, out, err := c.api.do("POST", r.path, r.body, nil)
		if err != nil || code < 400 || code > 499 {
			t.Errorf("bad request to %s: %d %v %s", r.path, code, err, out)
		}
	}
	code, out, err := c.api.do("POST", "/v1/tokens/verify", map[string]string{"token": e.Token}, map[string]string{"Authorization": "Bearer " + e.Token})
	if err != nil || code != http.StatusForbidden && code != http.StatusUnauthorized {
		t.Errorf("user token as bearer: %d %v %s", code, err, out)
	}
	c.tokens = append(c.tokens, mistyped)
}

// reads lists, fetches and reads the events of every token.
func (c *canaryRun) reads(t *testing.T, users []issued) {
	t.Helper()
	c.api.must(t, http.StatusOK, "GET", "/v1/tokens", nil, nil)
	c.api.must(t, http.StatusOK, "GET", "/v1/tokens?state=revoked&owner=alice%40example.org", nil, nil)
	for _, u := range users {
		c.api.must(t, http.StatusOK, "GET", "/v1/tokens/"+u.ID, nil, nil)
		c.api.must(t, http.StatusOK, "GET", "/v1/tokens/"+u.ID+"/events", nil, nil)
	}
	for _, path := range []string{"/metrics", "/readyz", "/healthz"} {
		c.api.must(t, http.StatusOK, "GET", path, nil, nil)
	}
}

// cliVerify runs `token verify` on the same store and cache; its stdout and
// stderr join the logs.
func (c *canaryRun) cliVerify(t *testing.T, tok string) {
	t.Helper()
	cmd := exec.Command(c.bin, "token", "verify", "--db", c.db, "--redis", c.rd.URL(), "--log-level", "debug")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(tok+"\n"), c.logs, c.logs
	if err := cmd.Run(); err == nil {
		t.Errorf("token verify of a revoked token exited 0")
	}
}

// dumpRedis returns every key and every value of the throw-away server.
func dumpRedis(t *testing.T, rd *testenv.RedisProc) [][]byte {
	t.Helper()
	rdb := rd.Client()
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out [][]byte
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		out = append(out, []byte(k))
		raw, err := rdb.Dump(ctx, k).Result() // may be LZF-compressed: also read the value itself
		if err != nil {
			t.Fatalf("redis DUMP: %v", err)
		}
		out = append(out, []byte(raw))
		var vals []string
		switch typ, _ := rdb.Type(ctx, k).Result(); typ {
		case "string":
			vals = []string{rdb.Get(ctx, k).Val()}
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				vals = append(vals, f, v)
			}
		case "list":
			vals = rdb.LRange(ctx, k, 0, -1).Val()
		case "set":
			vals = rdb.SMembers(ctx, k).Val()
		case "zset":
			vals = rdb.ZRange(ctx, k, 0, -1).Val()
		default:
			t.Errorf("redis key of type %s not searched", typ)
		}
		for _, v := range vals {
			out = append(out, []byte(v))
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("redis SCAN: %v", err)
	}
	return out
}

// dumpSQLiteFiles returns the bytes of every file beside the database
// (the database, its WAL and shared-memory files).
func dumpSQLiteFiles(path string) func(t *testing.T) [][]byte {
	return func(t *testing.T) [][]byte {
		t.Helper()
		files, err := filepath.Glob(path + "*")
		if err != nil {
			t.Fatal(err)
		}
		var out [][]byte
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		return out
	}
}

// dumpPostgresSchema returns every row of every table in schema as JSON.
func dumpPostgresSchema(dsn, schema string) func(t *testing.T) [][]byte {
	return func(t *testing.T) [][]byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, schema)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		var out [][]byte
		for _, tbl := range tables {
			q := `SELECT row_to_json(t)::text FROM ` + pgx.Identifier{schema, tbl}.Sanitize() + ` t`
			rows, err := conn.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				out = append(out, []byte(v))
			}
		}
		return out
	}
}
