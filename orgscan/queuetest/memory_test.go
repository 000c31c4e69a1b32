package queuetest_test

import (
	"testing"

	"github.com/leakguard/leakguard/orgscan"
	"github.com/leakguard/leakguard/orgscan/queuetest"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	queuetest.Run(t, func(t *testing.T, c queuetest.Config) orgscan.Queue { return queuetest.NewMemory(c) })
}
