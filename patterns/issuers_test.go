package patterns

import "testing"

// TestIssuerFormatsExist: every format id an issuer lists is a format of
// the default catalog, so a renamed or missing format cannot leave an
// issuer silently revoking nothing.
func TestIssuerFormatsExist(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, is := range Issuers() {
		for _, id := range is.Formats {
			t.Run(is.ID+"/"+id, func(t *testing.T) {
				t.Parallel()
				f, ok := c.ByID(id)
				if !ok {
					t.Fatalf("issuer %s lists %q, which is not in the default catalog", is.ID, id)
				}
				if f.Issued {
					t.Errorf("issuer %s lists %q, one of our own formats", is.ID, id)
				}
				if got, ok := IssuerOf(Issuers(), id); !ok || got.ID != is.ID {
					t.Errorf("IssuerOf(%q) = %s, %v; want %s", id, got.ID, ok, is.ID)
				}
			})
		}
	}
}
