package patterns_test

import (
	"fmt"

	"github.com/leakguard/leakguard/patterns"
)

// An issuer mints user tokens as acme_… and keeps recognising its earlier
// prefix and leakguard's default.
func ExampleParseConfig() {
	cfg, err := patterns.ParseConfig([]byte(`
[prefixes]
user = "acme_"

[previous_prefixes]
user = ["acmeold_"]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	cat, err := cfg.Catalog()
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ := cat.Issued(patterns.TypeUser)
	fmt.Println(f.ID, f.Prefixes)
	// Output: leakguard-user [acme_ acmeold_ lgu_]
}

func ExampleFormat_Valid() {
	f, _ := patterns.Default().ByID("grafana-service-account-token")
	// Grafana's own test vector, and the same with the checksum's bytes in
	// big-endian order.
	fmt.Println(f.Valid("glsa_iNValIdinValiDinvalidinvalidinva_5b582697"))
	fmt.Println(f.Valid("glsa_iNValIdinValiDinvalidinvalidinva_9726585b"))
	// Output:
	// true
	// false
}
