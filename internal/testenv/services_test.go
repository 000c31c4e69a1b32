package testenv

import "testing"

func TestEnvReadsItsGetenv(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"LEAKGUARD_REQUIRE_SERVICES": "1", "SET": "v"}
	e := Env{Getenv: func(name string) string { return vars[name] }}
	if !e.RequireServices() {
		t.Error("RequireServices = false with LEAKGUARD_REQUIRE_SERVICES=1")
	}
	if got, want := e.or("SET", "def"), "v"; got != want {
		t.Errorf("or(SET) = %q, want %q", got, want)
	}
	if got, want := e.or("UNSET", "def"), "def"; got != want {
		t.Errorf("or(UNSET) = %q, want %q", got, want)
	}
	if (Env{Getenv: func(string) string { return "" }}).RequireServices() {
		t.Error("RequireServices = true with an empty environment")
	}
}
