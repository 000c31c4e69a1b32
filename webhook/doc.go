// Package webhook is leakguard's HTTP adapter: the token API (CONTRACT §4),
// the GitHub secret-scanning partner endpoint (CONTRACT §5), health and
// metrics, and the Standard Webhooks sender of outbound events (§6).
package webhook
