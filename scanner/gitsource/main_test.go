package gitsource

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind (the
// history pipeline must wind down on success, git errors and emit errors).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
