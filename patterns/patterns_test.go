package patterns

import "testing"

func TestOwnGenerateValidate(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, typ := range []string{TypeUser, TypeService, TypeAdmin} {
		f, ok := c.Issued(typ)
		if !ok {
			t.Fatalf("no issued format for %s", typ)
		}
		s, err := f.Generate(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Len(), len(f.Prefixes[0])+36; got != want {
			t.Errorf("%s: len %d, want %d", typ, got, want)
		}
		if !f.Valid(s.Reveal()) {
			t.Errorf("%s: generated token does not validate", typ)
		}
		if g, ok := c.Identify(s.Reveal()); !ok || g.ID != f.ID {
			t.Errorf("%s: Identify = %v, %v", typ, g, ok)
		}
	}
}
